import ConsortPKI
import ConsortTesting
import Crypto
import Foundation
import Testing
import X509

@Suite("Consort certificate verification")
struct ConsortVerifierTests {
    let consortium: TestConsortium

    init() throws {
        var consortium = try TestConsortium()
        try consortium.admit("cp-a", roles: [.compute])
        try consortium.admit("nso-north", roles: [.input, .output])
        self.consortium = consortium
    }

    @Test("a node, a signer and a member CA verify with their identities")
    func validIdentities() async throws {
        let node = try consortium.node("cp-a", dns: ["cp-a.consort.test"])
        let nodeIdentity = try await consortium.verifier().verify(chain: node.chain, usage: .server)
        #expect(nodeIdentity.identity == .node(try MemberID("cp-a")))
        #expect(nodeIdentity.memberRoles == [.compute])
        #expect(nodeIdentity.kind == .node)

        let signer = try consortium.user("nso-north", name: "alice", roles: [.signer])
        let signerIdentity = try await consortium.verifier().verify(chain: signer.chain, usage: .signer)
        #expect(signerIdentity.identity == .user(try MemberID("nso-north"), name: "alice"))
        #expect(signerIdentity.internalRoles == [.signer])
        #expect(signerIdentity.memberRoles == [.input, .output])

        let memberCA = try consortium.member("nso-north").authority.certificate
        let memberIdentity = try await consortium.verifier().verify(chain: [memberCA], usage: .any)
        #expect(memberIdentity.kind == .memberCA)
        #expect(memberIdentity.identity == .member(try MemberID("nso-north")))
    }

    @Test("the same chain verifies with complete, current CRLs required")
    func completeRevocationInformation() async throws {
        let node = try consortium.node("cp-a")
        let verifier = consortium.verifier(crls: try consortium.emptyCRLs(), requireCRLs: true)
        _ = try await verifier.verify(chain: node.chain, usage: .client)
        // Without the member's CRL the status is unknown and verification fails closed.
        let partial = consortium.verifier(crls: [try consortium.crl(by: consortium.root)], requireCRLs: true)
        let error = await #expect(throws: PKIError.self) { try await partial.verify(chain: node.chain, usage: .client) }
        #expect(error?.code == .revocationUnavailable)
    }

    @Test("expired")
    func expired() async throws {
        let node = try consortium.node("cp-a")
        let error = await #expect(throws: PKIError.self) {
            try await consortium.verifier().verify(
                chain: node.chain, usage: .server, at: Date().addingTimeInterval(400 * 86_400))
        }
        #expect(error?.code == .expired)
        #expect(error?.message.contains("expired at") == true)
    }

    @Test("not yet valid")
    func notYetValid() async throws {
        let node = try consortium.node("cp-a")
        let error = await #expect(throws: PKIError.self) {
            try await consortium.verifier().verify(
                chain: node.chain, usage: .server, at: Date().addingTimeInterval(-86_400))
        }
        #expect(error?.code == .notYetValid)
    }

    @Test("wrong extended key usage")
    func wrongEKU() async throws {
        let memberCA = try consortium.member("cp-a")
        let clientOnlyNode = try CertificateForge.leaf(
            uri: "consort://cp-a/node", issuer: memberCA.authority, extendedKeyUsage: [.clientAuth]
        )
        let error = await #expect(throws: PKIError.self) {
            try await consortium.verifier().verify(
                chain: [clientOnlyNode, memberCA.authority.certificate], usage: .server)
        }
        #expect(error?.code == .wrongUsage)
        #expect(error?.message.contains("serverAuth") == true)
    }

    @Test("a user certificate used as a node")
    func userAsNode() async throws {
        let user = try consortium.user("nso-north", name: "bob", roles: [.uploader])
        let error = await #expect(throws: PKIError.self) {
            try await consortium.verifier().verify(chain: user.chain, usage: .server)
        }
        #expect(error?.code == .wrongUsage)
        #expect(error?.message.contains("node certificate is required") == true)
    }

    @Test("a user without the signer role cannot sign")
    func uploaderIsNotSigner() async throws {
        let user = try consortium.user("nso-north", name: "bob", roles: [.uploader])
        let error = await #expect(throws: PKIError.self) {
            try await consortium.verifier().verify(chain: user.chain, usage: .signer)
        }
        #expect(error?.code == .wrongUsage)
    }

    @Test("a member CA issuing outside its namespace")
    func outsideNamespace() async throws {
        let memberCA = try consortium.member("cp-a")
        // Our issuing code refuses...
        #expect(throws: PKIError(.outsideNamespace, "")) {
            try memberCA.issue(
                .node(try MemberID("nso-north")), publicKey: P256.Signing.PrivateKey().publicKey, dnsNames: [],
                ipAddresses: [], roles: [], days: 30, now: Date()
            )
        }
        // ...and a forged certificate is caught by the URI name constraint.
        let forged = try CertificateForge.leaf(uri: "consort://nso-north/node", issuer: memberCA.authority)
        let error = await #expect(throws: PKIError.self) {
            try await consortium.verifier().verify(chain: [forged, memberCA.authority.certificate], usage: .server)
        }
        #expect(error?.code == .constraintViolation)
    }

    @Test("a revoked leaf and a leaf of a revoked member CA")
    func revoked() async throws {
        let node = try consortium.node("cp-a")
        let memberCA = try consortium.member("cp-a").authority
        let memberCRL = try consortium.crl(by: memberCA, revoking: [node.certificate])
        let rootCRL = try consortium.crl(by: consortium.root)
        let leafError = await #expect(throws: PKIError.self) {
            try await consortium.verifier(crls: [memberCRL, rootCRL]).verify(chain: node.chain, usage: .server)
        }
        #expect(leafError?.code == .revoked)

        let other = try consortium.node("nso-north")
        let revokedMember = try consortium.crl(
            by: consortium.root, revoking: [try consortium.member("nso-north").authority.certificate])
        let memberError = await #expect(throws: PKIError.self) {
            try await consortium.verifier(crls: [revokedMember]).verify(chain: other.chain, usage: .server)
        }
        #expect(memberError?.code == .revoked)
        #expect(memberError?.message.contains("nso-north") == true)
    }

    @Test("an expired CRL fails closed")
    func expiredCRL() async throws {
        let node = try consortium.node("cp-a")
        let memberCA = try consortium.member("cp-a").authority
        let stale = try consortium.crl(by: memberCA, days: 1, thisUpdate: Date().addingTimeInterval(-3 * 86_400))
        let error = await #expect(throws: PKIError.self) {
            try await consortium.verifier(crls: [stale]).verify(chain: node.chain, usage: .server)
        }
        #expect(error?.code == .revocationUnavailable)
        #expect(error?.message.contains("expired") == true)
    }

    @Test("revocation coverage names every issuer without a usable CRL: missing, expired or forged")
    func coverage() throws {
        let issuers =
            try [("the operator root", consortium.root.certificate)]
            + ["cp-a", "nso-north"].map { ("member '\($0)'", try consortium.member($0).authority.certificate) }
        let current = try [
            consortium.crl(by: consortium.root), consortium.crl(by: consortium.member("cp-a").authority),
        ]
        let stale = try consortium.crl(
            by: consortium.member("nso-north").authority, days: 1, thisUpdate: Date().addingTimeInterval(-3 * 86_400))
        let forged = try CertificateRevocationList.issue(
            issuer: consortium.member("nso-north").authority.certificate, key: P256.Signing.PrivateKey(), entries: [],
            crlNumber: 9, thisUpdate: Date().addingTimeInterval(-60), nextUpdate: Date().addingTimeInterval(86_400))
        let missing = RevocationLists.coverageProblems(current, issuers: issuers, at: Date())
        #expect(missing.count == 1 && missing[0].hasPrefix("no CRL of member 'nso-north'"), "\(missing)")
        let expired = RevocationLists.coverageProblems(current + [stale], issuers: issuers, at: Date())
        #expect(expired.count == 1 && expired[0].contains("expired"), "\(expired)")
        let notSigned = RevocationLists.coverageProblems(current + [forged], issuers: issuers, at: Date())
        #expect(notSigned.count == 1 && notSigned[0].contains("signature"), "\(notSigned)")
        let fresh = try consortium.crl(by: consortium.member("nso-north").authority)
        #expect(RevocationLists.coverageProblems(current + [stale, fresh], issuers: issuers, at: Date()).isEmpty)
    }

    @Test("a CRL signed with another key is not used")
    func forgedCRL() async throws {
        let node = try consortium.node("cp-a")
        let memberCA = try consortium.member("cp-a").authority
        // Same issuer name and key identifier, but signed by an attacker's key: it must not count.
        let forged = try CertificateRevocationList.issue(
            issuer: memberCA.certificate, key: P256.Signing.PrivateKey(), entries: [], crlNumber: 9,
            thisUpdate: Date().addingTimeInterval(-60), nextUpdate: Date().addingTimeInterval(86_400)
        )
        #expect(forged.problem(asIssuedBy: memberCA.certificate, at: Date())?.contains("signature") == true)
        let error = await #expect(throws: PKIError.self) {
            try await consortium.verifier(crls: [forged]).verify(chain: node.chain, usage: .server)
        }
        #expect(error?.code == .revocationUnavailable)
    }

    @Test("a chain to a foreign root")
    func foreignRoot() async throws {
        var foreign = try TestConsortium(name: "Other Operator")
        try foreign.admit("cp-a", roles: [.compute])
        let node = try foreign.node("cp-a")
        let error = await #expect(throws: PKIError.self) {
            try await consortium.verifier().verify(chain: node.chain, usage: .server)
        }
        #expect(error?.code == .untrusted)
    }

    @Test("a member CA's path length is exceeded by a sub-CA")
    func pathLengthExceeded() async throws {
        let memberCA = try consortium.member("cp-a").authority
        let subKey = P256.Signing.PrivateKey()
        let subCA = try CertificateForge.leaf(uri: "consort://cp-a", issuer: memberCA, isCA: true, key: subKey)
        let subAuthority = try CertificateAuthority(
            kind: .member, certificate: subCA, privateKey: subKey, directory: "")
        let leaf = try CertificateForge.leaf(uri: "consort://cp-a/node", issuer: subAuthority)
        let error = await #expect(throws: PKIError.self) {
            try await consortium.verifier().verify(chain: [leaf, subCA, memberCA.certificate], usage: .server)
        }
        #expect(error?.code == .constraintViolation)
    }

    @Test("CRLs round-trip through DER with entries, reasons and numbers")
    func crlRoundTrip() throws {
        let node = try consortium.node("cp-a")
        let memberCA = try consortium.member("cp-a").authority
        var registry = RevocationRegistry()
        try registry.revoke(node.certificate, by: memberCA, reason: .keyCompromise)
        #expect(throws: PKIError.self) { try registry.revoke(node.certificate, by: memberCA, reason: .superseded) }
        let first = try registry.issueCRL(by: memberCA)
        let second = try registry.issueCRL(by: memberCA)
        let parsed = try CertificateRevocationList(pemEncoded: second.pemString)
        #expect(parsed.entries.count == 1)
        #expect(parsed.entries[0].serialNumber == node.certificate.serialNumber)
        #expect(parsed.entries[0].reason == .keyCompromise)
        #expect(first.crlNumber != second.crlNumber)
        #expect(parsed.problem(asIssuedBy: memberCA.certificate, at: Date()) == nil)
        // The root did not issue this leaf, so it cannot revoke it.
        var rootRegistry = RevocationRegistry()
        #expect(throws: PKIError.self) {
            try rootRegistry.revoke(node.certificate, by: consortium.root, reason: .unspecified)
        }
    }

    @Test("identity URIs parse strictly")
    func identityURIs() throws {
        #expect(try ConsortIdentity(uri: "consort://cp-a/node") == .node(try MemberID("cp-a")))
        #expect(
            try ConsortIdentity(uri: "consort://nso-north/user/alice")
                == .user(try MemberID("nso-north"), name: "alice"))
        for bad in [
            "consort://CP-A/node", "consort://cp-a/node/", "consort://cp-a/admin", "https://cp-a/node",
            "consort://-a/node", "consort://cp-a/user/", "consort://cp-a:443/node",
        ] {
            #expect(throws: PKIError.self, "\(bad)") { try ConsortIdentity(uri: bad) }
        }
    }

    @Test("private keys are written readable by their owner only")
    func keyFileMode() throws {
        let directory = try Subprocess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let node = try consortium.node("cp-a")
        try node.write(directory: directory.path, name: "node")
        let attributes = try FileManager.default.attributesOfItem(
            atPath: directory.appendingPathComponent("node.key").path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let loaded = try SigningIdentity.load(identity: directory.appendingPathComponent("node").path)
        #expect(loaded.chain.count == 2)
    }
}
