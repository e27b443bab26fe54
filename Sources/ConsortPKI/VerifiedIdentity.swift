import Crypto
import X509

/// Who a certificate chain proves its holder to be, read only from a chain that verified.
package struct VerifiedIdentity: Sendable, Hashable, CustomStringConvertible {
    package var identity: ConsortIdentity?
    package var kind: ConsortIdentity.Kind
    package var memberRoles: Set<MemberRole>
    package var internalRoles: Set<InternalRole>
    package var subject: String
    /// Lowercase hex SHA-256 of the leaf certificate's DER encoding.
    package var fingerprint: String
    package var chain: [Certificate]

    package var memberID: MemberID? { self.identity?.memberID }

    package var description: String {
        var parts = ["kind: \(self.kind)"]
        if let identity { parts.insert("identity: \(identity)", at: 0) }
        if !self.memberRoles.isEmpty {
            parts.append("roles: \(self.memberRoles.sorted().map(\.rawValue).joined(separator: ","))")
        }
        if !self.internalRoles.isEmpty {
            parts.append("internal roles: \(self.internalRoles.sorted().map(\.rawValue).joined(separator: ","))")
        }
        return parts.joined(separator: ", ")
    }

    package static func fingerprint(of certificate: Certificate) -> String {
        let der = (try? DERBytes.of(certificate)) ?? []
        return Hex.encode(SHA256.hash(data: der))
    }
}
