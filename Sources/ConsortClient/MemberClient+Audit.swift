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
        var logs: [MemberID: String] = [:]
        func pullLog(of member: MemberID) async -> Bool {
            guard let answer = await fetch("/v1/audit", from: member, timeout: .seconds(120)) else { return false }
            do {
                try Data(answer.body.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(member).jsonl"))
                guard !answer.nodeChain.isEmpty else { throw ClientError(.tls, "no verified node certificate") }
                try PEMFiles.write(try PEMFiles.pem(answer.nodeChain), to: "\(directory)/\(member).pem")
                logs[member] = answer.body
                return true
            } catch {
                report("  \(member): \(error)")
                failures += 1
                return false
            }
        }
        for member in self.nodeMembers where checkpoints[member] != nil {
            if await pullLog(of: member) {
                report("  \(member): \(Self.lines(logs[member]!)) entries, \(checkpoints[member]!) checkpoint(s)")
            }
        }
        // A node may have had a checkpoint countersigned after its log was pulled, by a witness whose log was pulled
        // later: that log is pulled again (at most three times) until it holds what the others say was
        // countersigned. A log that was cut stays short, and `audit verify` reports it.
        for _ in 0..<3 {
            let claimed = Self.countersignedSizes(in: Array(logs.values))
            let grown = logs.keys.sorted().filter { claimed[$0.rawValue, default: 0] > Self.lines(logs[$0]!) }
            guard !grown.isEmpty else { break }
            for member in grown {
                let before = Self.lines(logs[member]!)
                if await pullLog(of: member) {
                    report(
                        "  \(member): pulled again (a witness countersigned \(claimed[member.rawValue]!) entries, "
                            + "\(before) were pulled): \(Self.lines(logs[member]!)) entries")
                }
            }
        }
        return failures
    }

    private static func lines(_ body: String) -> Int { body.split(separator: "\n").count }

    /// Per node, the largest size at which a `checkpoint.witnessed` entry of these JSON Lines logs says a witness
    /// countersigned its checkpoint (`AuditDirectoryVerifier.Countersigned`, read from the export's lines).
    static func countersignedSizes(in logs: [String]) -> [String: Int] {
        var sizes: [String: Int] = [:]
        for line in logs.flatMap({ $0.split(separator: "\n") }) where line.contains("checkpoint.witnessed") {
            guard let entry = try? StrictJSONReader().parse(Array(line.utf8)),
                entry["action"]?.stringValue == "checkpoint.witnessed",
                let text = entry["details"]?.stringValue,
                let details = try? StrictJSONReader().parse(Array(text.utf8)),
                let node = details["node"]?.stringValue,
                case .number(let number)? = details["size"], let size = number.integer
            else { continue }
            sizes[node] = max(sizes[node] ?? 0, Int(size))
        }
        return sizes
    }
}
