import ConsortAudit
import ConsortClient
import ConsortPKI
import ConsortSpec
import Foundation
import Hummingbird

/// The auditor's page: pull every node's audit log and checkpoints with the member's auditor identity, verify them
/// together (`AuditDirectoryVerifier`, as `consort audit verify` does) and show a report per node, failures marked.
extension UIController {
    @Sendable func auditPage(_ request: Request, context: UIRequestContext) async throws -> Response {
        let (_, session) = try await self.require(request, role: .auditor)
        return self.page("audit", self.frame("Audit", session) + ["nodes": self.node.directory.members.count])
    }

    @Sendable func verifyAudit(_ request: Request, context: UIRequestContext) async throws -> Response {
        let form = try await Self.form(request, context: context)
        let (_, session) = try await self.require(request, form: form, role: .auditor)
        let client: MemberClient
        do { client = try self.client(for: .auditor) } catch let error as NodeError {
            return self.page(
                "audit", self.frame("Audit", session) + ["error": error.message], status: .internalServerError)
        }
        // Each pull in a folder of its own, kept: what was verified can be verified again.
        let stamp = DocumentReader.formatTimestamp(Date()).replacingOccurrences(of: ":", with: "-")
        let folder = "\(self.node.dataDirectory)/audit-pulls/\(stamp)-\(UUID().uuidString.prefix(8).lowercased())"
        var pulled: [String] = []
        let failures = await client.pullAudit(into: folder) { pulled.append($0.trimmingCharacters(in: .whitespaces)) }
        var report: AuditDirectoryVerifier.Report?
        var problem: String?
        do {
            report = await AuditDirectoryVerifier.verify(
                try AuditDirectoryVerifier.read(directory: folder), root: self.node.root)
        } catch let error as AuditError {
            problem = error.message
        }
        let verified = failures == 0 && problem == nil && report?.verified == true
        try await self.audit(
            .uiAuditVerified, who: session.user,
            [
                "verified": .bool(verified), "pullFailures": .number(JSONNumber(Int64(failures))),
                "folder": .string(folder),
            ])
        return self.page(
            "audit",
            self.frame("Audit", session) + [
                "ran": true, "verified": verified, "folder": folder,
                "pulled": pulled.map { ["line": $0, "failed": !$0.contains(" entries, ")] },
                "report": (report?.lines ?? []).map { ["line": $0, "failed": Self.isFinding($0)] },
                "problem": problem ?? false,
                "outcomes": Self.outcomes(report?.outcomes ?? [:]),
            ])
    }

    /// A report line the auditor must see: a log that fails, nodes that disagree, a party blamed or a pair in dispute.
    static func isFinding(_ line: String) -> Bool {
        ["FAILED", "BLAMED", "DISPUTE", "disagree"].contains { line.contains($0) }
    }

    /// Task → "node: outcome, …", tasks in order.
    static func outcomes(_ outcomes: [String: [String: String]]) -> [[String: String]] {
        outcomes.keys.sorted().map { task in
            let nodes = outcomes[task] ?? [:]
            let text: [String] = nodes.keys.sorted().map { "\($0): \(nodes[$0] ?? "")" }
            return ["task": task, "nodes": text.joined(separator: ", ")]
        }
    }
}
