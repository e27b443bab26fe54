import ConsortAudit
import ConsortPKI
import ConsortSpec
import Crypto
import Foundation
import Logging
import Synchronization

/// Keeps the node's CRLs current without a restart: on each pass it re-reads the configured CRL files, and when their
/// bytes changed and the new lists still cover every issuer with a current CRL, the verifier enforces them from then
/// on (audited as `revocation.updated`). A set that does not (a broken file, a missing issuer) is refused, logged and
/// audited, and the lists in force stay; as they expire, verification fails closed.
package final class RevocationRefresher: Sendable {
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
        self.changes = FileChanges(node.crlFiles)
    }

    package func refresh(now: Date = Date()) async throws {
        guard self.changes.changed() else { return }
        let problems: [String]
        var lists: [CertificateRevocationList] = []
        do {
            lists = try NodeConfiguration.readCRLs(self.node.crlFiles)
            problems = RevocationLists.coverageProblems(lists, issuers: self.node.issuers, at: now)
        } catch {
            problems = ["\(error)"]
        }
        if problems.isEmpty {
            self.node.verifier.revocation.replace(with: lists)
            self.logger.info("CRLs reloaded")
            _ = try await self.log.append(
                try AuditDraft(
                    actor: self.system, action: .revocationUpdated,
                    details: [
                        "outcome": .string("loaded"),
                        "revoked": .number(JSONNumber(Int64(lists.reduce(0) { $0 + $1.entries.count }))),
                    ]))
        } else {
            self.logger.error("changed CRL files refused, the previous CRLs stay in force: \(problems)")
            _ = try await self.log.append(
                try AuditDraft(
                    actor: self.system, action: .revocationUpdated,
                    details: ["outcome": .string("refused"), "reason": .string(problems.joined(separator: "; "))]))
        }
    }
}
