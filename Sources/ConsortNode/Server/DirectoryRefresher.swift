import ConsortAudit
import ConsortPKI
import ConsortSpec
import Crypto
import Foundation
import Logging
import Synchronization

/// Keeps the node's member directory current without a restart: on each pass it re-reads the directory file, and when
/// its bytes changed, a directory that verifies under the operator root, was issued after the one in force, still
/// lists this node's member and has a current CRL for every member CA is enforced from then on — a member it no
/// longer lists is refused from its next request or MPC connection (audited as `directory.updated`, with who was added
/// and removed). Anything else is refused, logged and audited, and the directory in force stays.
package final class DirectoryRefresher: Sendable {
    let node: NodeConfiguration.Loaded
    let log: AuditLog
    let system: AuditActor
    let logger: Logger
    private let changes: FileChanges

    package init(node: NodeConfiguration.Loaded, log: AuditLog, system: AuditActor, logger: Logger) {
        self.node = node
        self.log = log
        self.system = system
        self.logger = logger
        self.changes = FileChanges([node.directoryFile])
    }

    package func refresh(now: Date = Date()) async throws {
        guard self.changes.changed() else { return }
        let current = self.node.directory
        let next: MemberDirectory
        do {
            next = try self.checked(now: now, current: current)
        } catch {
            self.logger.error("a changed directory file was refused, the directory in force stays: \(error)")
            _ = try await self.log.append(
                try AuditDraft(
                    actor: self.system, action: .directoryUpdated,
                    details: ["outcome": .string("refused"), "reason": .string("\(error)")]))
            return
        }
        self.node.directoryInForce.replace(with: next)
        let before = Set(current.members.map(\.id))
        let after = Set(next.members.map(\.id))
        var details: [(String, JSONValue)] = [
            ("outcome", .string("loaded")), ("issuedAt", .string(DocumentReader.formatTimestamp(next.issuedAt))),
            ("members", .number(JSONNumber(Int64(next.members.count)))),
            ("added", .string(after.subtracting(before).map(\.rawValue).sorted().joined(separator: ", "))),
            ("removed", .string(before.subtracting(after).map(\.rawValue).sorted().joined(separator: ", "))),
        ]
        let own = (current.member(self.node.member), next.member(self.node.member))
        if own.0?.endpoint != own.1?.endpoint || own.0?.mpcAddress?.port != own.1?.mpcAddress?.port {
            // The listeners were bound at start-up.
            details.append(
                ("note", .string("this node's own endpoint or MPC port changed: it takes effect at the next start")))
        }
        self.logger.info("directory reloaded: \(next.members.count) members")
        _ = try await self.log.append(
            try AuditDraft(actor: self.system, action: .directoryUpdated, details: JSONObject(details)))
    }

    /// The directory in the file, if the node may enforce it instead of `current`.
    private func checked(now: Date, current: MemberDirectory) throws -> MemberDirectory {
        guard let bytes = FileManager.default.contents(atPath: self.node.directoryFile) else {
            throw NodeError(.configuration, "cannot read \(self.node.directoryFile)")
        }
        let next = try MemberDirectory.verify(Array(bytes), root: self.node.root, now: now)
        guard next.issuedAt > current.issuedAt else {
            throw NodeError(
                .configuration,
                "the directory was issued \(DocumentReader.formatTimestamp(next.issuedAt)), not after the one in force "
                    + "(\(DocumentReader.formatTimestamp(current.issuedAt))): an older directory is never reinstated")
        }
        guard next.member(self.node.member) != nil else {
            throw NodeError(.configuration, "the directory does not list this node's member '\(self.node.member)'")
        }
        let issuers =
            [("the operator root", self.node.root)] + next.members.map { ("member '\($0.id)'", $0.certificate) }
        let problems = RevocationLists.coverageProblems(
            self.node.verifier.revocation.current, issuers: issuers, at: now)
        guard problems.isEmpty else {
            throw NodeError(
                .configuration,
                "the node needs a current CRL of every member CA it trusts (add its file to \"crls\" and restart): "
                    + problems.joined(separator: "; "))
        }
        return next
    }
}
