import ConsortPKI

/// Who caused an audit event, from a verified certificate: its SHA-256 fingerprint and subject (or the node itself).
package struct AuditActor: Hashable, Sendable, Codable {
    /// Lowercase hex SHA-256 of the actor's certificate (DER), or `-` when the node acts on its own.
    package var fingerprint: String
    package var subject: String

    package init(fingerprint: String, subject: String) {
        self.fingerprint = fingerprint
        self.subject = subject
    }

    package init(_ identity: VerifiedIdentity) {
        self.fingerprint = identity.fingerprint
        self.subject = identity.identity?.uri ?? identity.subject
    }

    /// The node acting on its own (deadline watcher, purger, start-up).
    package static func system(_ node: MemberID) -> AuditActor {
        AuditActor(fingerprint: "-", subject: ConsortIdentity.node(node).uri)
    }
}
