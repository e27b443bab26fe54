import ConsortPKI
import X509

/// Prints identities the way every command shows them.
enum VerifiedIdentityPrinter {
    static func uri(of certificate: Certificate) throws -> String {
        guard let names = try certificate.extensions.subjectAlternativeNames else {
            return certificate.subject.description
        }
        for case .uniformResourceIdentifier(let uri) in names { return uri }
        return certificate.subject.description
    }

    static func lines(_ identity: VerifiedIdentity) -> [String] {
        var lines: [String] = []
        if let id = identity.memberID { lines.append("member:        \(id)") }
        lines.append("kind:          \(identity.kind)")
        if let uri = identity.identity?.uri { lines.append("identity:      \(uri)") }
        lines.append("roles:         \(identity.memberRoles.sorted().map(\.rawValue).joined(separator: ", "))")
        if identity.kind == .user {
            lines.append("internal role: \(identity.internalRoles.sorted().map(\.rawValue).joined(separator: ", "))")
        }
        lines.append("subject:       \(identity.subject)")
        lines.append("fingerprint:   \(identity.fingerprint)")
        return lines
    }
}
