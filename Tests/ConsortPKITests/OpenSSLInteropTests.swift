import ConsortPKI
import ConsortTesting
import Foundation
import Testing
import X509

/// OpenSSL, an independent X.509 implementation, must agree with our verifier on our own chains.
@Suite(
    "OpenSSL agrees with Consort's verifier",
    .enabled(if: Subprocess.which("openssl") != nil, "openssl is not installed"))
struct OpenSSLInteropTests {
    struct Scenario: CustomTestStringConvertible, Sendable {
        var name: String
        var revokeLeaf: Bool
        var revokeMember: Bool
        var kind: ConsortIdentity.Kind
        var testDescription: String { self.name }
    }

    static let scenarios = [
        Scenario(name: "valid node", revokeLeaf: false, revokeMember: false, kind: .node),
        Scenario(name: "valid user", revokeLeaf: false, revokeMember: false, kind: .user),
        Scenario(name: "revoked node", revokeLeaf: true, revokeMember: false, kind: .node),
        Scenario(name: "node of a revoked member CA", revokeLeaf: false, revokeMember: true, kind: .node),
    ]

    @Test("openssl verify and ConsortVerifier reach the same verdict", arguments: scenarios)
    func agree(_ scenario: Scenario) async throws {
        var consortium = try TestConsortium()
        let member = try consortium.admit("cp-a", roles: [.compute])
        let leaf =
            scenario.kind == .node
            ? try consortium.node("cp-a", dns: ["cp-a.consort.test"])
            : try consortium.user("cp-a", name: "alice", roles: [.signer])
        let rootCRL = try consortium.crl(
            by: consortium.root, revoking: scenario.revokeMember ? [member.authority.certificate] : [])
        let memberCRL = try consortium.crl(
            by: member.authority, revoking: scenario.revokeLeaf ? [leaf.certificate] : [])

        let directory = try Subprocess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
        try PEMFiles.write(try PEMFiles.pem([consortium.root.certificate]), to: path("operator.pem"))
        try PEMFiles.write(try PEMFiles.pem([member.authority.certificate]), to: path("member.pem"))
        try PEMFiles.write(try PEMFiles.pem([leaf.certificate]), to: path("leaf.pem"))
        try PEMFiles.write(rootCRL.pemString + memberCRL.pemString, to: path("crls.pem"))

        let purpose = scenario.kind == .node ? "sslserver" : "sslclient"
        // Without CRL checking both accept the chain.
        let plain = try Subprocess.run(
            "openssl",
            [
                "verify", "-purpose", purpose, "-CAfile", path("operator.pem"), "-untrusted", path("member.pem"),
                path("leaf.pem"),
            ]
        )
        #expect(plain.succeeded, "openssl rejected our chain: \(plain.stdout) \(plain.stderr)")

        let checked = try Subprocess.run(
            "openssl",
            [
                "verify", "-purpose", purpose, "-crl_check_all", "-CRLfile", path("crls.pem"), "-CAfile",
                path("operator.pem"),
                "-untrusted", path("member.pem"), path("leaf.pem"),
            ]
        )
        let expectValid = !scenario.revokeLeaf && !scenario.revokeMember
        #expect(checked.succeeded == expectValid, "openssl: \(checked.stdout) \(checked.stderr)")
        if !expectValid { #expect((checked.stdout + checked.stderr).contains("revoked")) }

        let verifier = consortium.verifier(crls: [rootCRL, memberCRL], requireCRLs: true)
        let usage: ConsortVerifier.Usage = scenario.kind == .node ? .server : .client
        do {
            _ = try await verifier.verify(chain: leaf.chain, usage: usage)
            #expect(expectValid, "Consort accepted a chain OpenSSL rejects")
        } catch let error as PKIError {
            #expect(!expectValid, "Consort rejected a chain OpenSSL accepts: \(error)")
            #expect(error.code == .revoked)
        }
    }
}
