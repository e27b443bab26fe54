import ConsortPKI
import ConsortSpec
import Foundation

extension MemberClient {
    /// Fetches every node's audit log and checkpoints (auditors only) into `directory`: `<member>.jsonl`, the node's
    /// verified chain `<member>.pem` and `<member>.checkpoints.jsonl`, for `AuditDirectoryVerifier`. Reports a line
    /// per node (or per failure); returns the number of failures.
    package func pullAudit(into directory: String, report: (String) -> Void) async -> Int {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            report("cannot create \(directory): \(error)")
            return 1
        }
        var failures = 0
        func fetch(_ path: String, from member: MemberID, timeout: Duration) async -> NodeAnswer<RawBody>? {
            let answer = await self.ask(.get, path, of: member, as: RawBody.self, timeout: timeout)
            if answer.succeeded { return answer }
            report(answer.status == nil ? answer.line : "  \(member): \(path): \(answer.status!) \(answer.body)")
            failures += 1
            return nil
        }
        // Each node first signs its log's head (stored with its checkpoints), so a log served or kept shorter than
        // it is caught. Checkpoints next, then logs: a countersignature in a checkpoint was recorded in the witness's
        // log before the checkpoint was stored, so every one pulled must be in a log pulled after it.
        var checkpoints: [MemberID: Int] = [:]
        var heads: Set<MemberID> = []
        for member in self.nodeMembers {
            let head = await self.ask(.post, "/v1/audit/head", of: member, as: RawBody.self, timeout: .seconds(60))
            if head.succeeded {
                heads.insert(member)
            } else {
                report("  \(member): no signed head: \(head.refusal)")
                failures += 1
            }
        }
        for member in self.nodeMembers where heads.contains(member) {
            guard let answer = await fetch("/v1/audit/checkpoints", from: member, timeout: .seconds(60)) else {
                continue
            }
            do {
                try Data(answer.body.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(member).checkpoints.jsonl"))
                checkpoints[member] = answer.body.split(separator: "\n").count
            } catch {
                report("  \(member): \(error)")
                failures += 1
            }
        }
        for member in self.nodeMembers {
            guard let count = checkpoints[member],
                let answer = await fetch("/v1/audit", from: member, timeout: .seconds(120))
            else { continue }
            do {
                try Data(answer.body.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(member).jsonl"))
                guard !answer.nodeChain.isEmpty else { throw ClientError(.tls, "no verified node certificate") }
                try PEMFiles.write(try PEMFiles.pem(answer.nodeChain), to: "\(directory)/\(member).pem")
                report("  \(member): \(answer.body.split(separator: "\n").count) entries, \(count) checkpoint(s)")
            } catch {
                report("  \(member): \(error)")
                failures += 1
            }
        }
        return failures
    }
}
