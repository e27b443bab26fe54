import Foundation
import SwiftASN1
import X509

/// Verifies Consort certificates: a chain to the operator root with every check of `ChainVerifier`, then the Consort
/// identity rules — the member CA names exactly one member, the leaf's URI lies in that member's namespace, the kind
/// fits the use (a user certificate cannot act as a node, only a `signer` signs) — and returns the verified identity.
package struct ConsortVerifier: Sendable {
    /// What the certificate is presented for.
    package enum Usage: String, Sendable, CaseIterable {
        /// A node's TLS server certificate.
        case server
        /// A TLS client: a node or a user.
        case client
        /// A user signing documents (CTS, halts): needs the `signer` internal role.
        case signer
        /// Any Consort certificate, including member CAs and the root itself.
        case any
    }

    package var root: Certificate
    /// The CRLs enforced, as they are at each verification.
    package let revocation: RevocationLists
    /// When true, every issuer in the chain must have a current CRL (how nodes run); otherwise only supplied CRLs count.
    package var requireRevocationInformation: Bool

    package var crls: [CertificateRevocationList] { self.revocation.current }

    package init(root: Certificate, crls: [CertificateRevocationList] = [], requireRevocationInformation: Bool = false)
    {
        self.init(
            root: root, revocation: RevocationLists(crls), requireRevocationInformation: requireRevocationInformation)
    }

    package init(root: Certificate, revocation: RevocationLists, requireRevocationInformation: Bool) {
        self.root = root
        self.revocation = revocation
        self.requireRevocationInformation = requireRevocationInformation
    }

    /// Verifies `chain` (leaf first; further certificates are used as intermediates) for `usage` at `time`.
    package func verify(chain: [Certificate], usage: Usage, at time: Date = Date()) async throws -> VerifiedIdentity {
        guard let leaf = chain.first else { throw PKIError(.malformedInput, "no certificate to verify") }
        let keyUsage: KeyUsage?
        let extendedKeyUsages: [ASN1ObjectIdentifier]
        switch usage {
        case .server:
            keyUsage = KeyUsage(digitalSignature: true)
            extendedKeyUsages = [.ExtendedKeyUsage.serverAuth]
        case .client:
            keyUsage = KeyUsage(digitalSignature: true)
            extendedKeyUsages = [.ExtendedKeyUsage.clientAuth]
        case .signer:
            keyUsage = KeyUsage(digitalSignature: true)
            extendedKeyUsages = []
        case .any:
            keyUsage = nil
            extendedKeyUsages = []
        }
        // Check the kind first: "a user certificate cannot act as a node" is a clearer error than a missing EKU.
        if usage != .any {
            try Self.requireLeafKind(leaf, usage: usage)
        }
        let verifier = ChainVerifier(
            roots: [self.root],
            intermediates: Array(chain.dropFirst()),
            crls: self.crls,
            requireCompleteRevocation: self.requireRevocationInformation,
            usage: .init(
                extendedKeyUsages: extendedKeyUsages, keyUsage: keyUsage,
                allowsCertificateAuthority: usage == .any
            ),
            maximumIntermediates: 1
        )
        let validated = try await verifier.validate(leaf: leaf, at: time)
        let identity = try Self.identity(of: validated)
        if usage == .signer && !identity.internalRoles.contains(.signer) {
            throw PKIError(
                .wrongUsage,
                "\(identity.identity.map(\.uri) ?? identity.subject) does not have the internal role 'signer' "
                    + "(it has: \(identity.internalRoles.sorted().map(\.rawValue).joined(separator: ", ")))"
            )
        }
        return identity
    }

    private static func requireLeafKind(_ leaf: Certificate, usage: Usage) throws {
        let uris = (try? CertificateProfile.uris(of: leaf)) ?? []
        let identities = uris.compactMap { try? ConsortIdentity(uri: $0) }
        guard identities.count == 1, let identity = identities.first, uris.count == 1 else {
            throw PKIError(
                .wrongUsage, "\(leaf.displayName) does not carry exactly one Consort identity (consort://...)")
        }
        switch (usage, identity.kind) {
        case (.server, .node), (.client, .node), (.client, .user), (.signer, .user):
            return
        case (.server, let kind):
            throw PKIError(.wrongUsage, "\(identity) is a \(kind) certificate; a node certificate is required here")
        case (.client, let kind):
            throw PKIError(.wrongUsage, "\(identity) is a \(kind) certificate and cannot authenticate a TLS client")
        case (.signer, let kind):
            throw PKIError(
                .wrongUsage,
                "\(identity) is a \(kind) certificate; signing needs a user certificate with the role 'signer'")
        default:
            return
        }
    }

    /// Reads the Consort identity from a validated chain (leaf first, root last).
    static func identity(of chain: [Certificate]) throws -> VerifiedIdentity {
        let leaf = chain[0]
        var result = VerifiedIdentity(
            identity: nil, kind: .operator, memberRoles: [], internalRoles: [], subject: leaf.subject.description,
            fingerprint: VerifiedIdentity.fingerprint(of: leaf), chain: chain
        )
        switch chain.count {
        case 1:
            return result
        case 2, 3:
            let memberCA = chain[chain.count - 2]
            let (memberID, _) = try CertificateProfile.memberIdentity(of: memberCA)
            guard let rolesExtension = memberCA.extensions[oid: ConsortOID.memberRoles] else {
                throw PKIError(.notAuthority, "member CA \(memberCA.displayName) carries no Consort roles")
            }
            result.memberRoles = try MemberRolesExtension(rolesExtension).roles
            guard case .some(.isCertificateAuthority(maxPathLength: 0)) = try memberCA.extensions.basicConstraints
            else {
                throw PKIError(.constraintViolation, "member CA \(memberCA.displayName) must have path length 0")
            }
            guard let constraints = try memberCA.extensions.nameConstraints,
                Array(constraints.permittedURIDomains) == [memberID.rawValue]
            else {
                throw PKIError(
                    .constraintViolation,
                    "member CA \(memberCA.displayName) is not name-constrained to consort://\(memberID)"
                )
            }
            if chain.count == 2 {
                result.identity = .member(memberID)
                result.kind = .memberCA
                return result
            }
            let uris = try CertificateProfile.uris(of: leaf)
            guard uris.count == 1 else {
                throw PKIError(
                    .malformedInput, "\(leaf.displayName) must carry exactly one consort:// URI, found \(uris.count)")
            }
            let identity = try ConsortIdentity(uri: uris[0])
            guard identity.memberID == memberID else {
                throw PKIError(
                    .outsideNamespace, "\(identity) was issued by the member CA of '\(memberID)', outside its namespace"
                )
            }
            if case .member = identity {
                throw PKIError(.constraintViolation, "a member CA cannot issue a member identity")
            }
            result.identity = identity
            result.kind = identity.kind
            if let rolesExtension = leaf.extensions[oid: ConsortOID.internalRoles] {
                result.internalRoles = try InternalRolesExtension(rolesExtension).roles
            }
            return result
        default:
            throw PKIError(.constraintViolation, "a Consort chain has at most a leaf, a member CA and the root")
        }
    }
}
