import ConsortPKI
import ConsortSpec
import Foundation
import X509

/// An auditor's verification of every node's audit log at once (`consort audit verify --dir`, the demo): each log's
/// chain, signatures and checkpoints under its node's certificate; every countersignature recorded in the witness's
/// own log; and the nodes' agreement on each task they share — computed on all, or stopped on all.
package enum AuditDirectoryVerifier {
    /// One node's log as pulled: its entries, the node's certificate chain and its checkpoints.
    package struct NodeLog: Sendable {
        package var member: String
        package var entries: [AuditEntry]
        package var chain: [Certificate]
        package var checkpoints: [AuditCheckpoint]

        package init(member: String, entries: [AuditEntry], chain: [Certificate], checkpoints: [AuditCheckpoint]) {
            self.member = member
            self.entries = entries
            self.chain = chain
            self.checkpoints = checkpoints
        }
    }

    /// What the verification found: a line per node and per problem, and the verdict.
    package struct Report: Sendable {
        package var lines: [String] = []
        package var verified = false
        /// Task → node → outcome ("accepted", "computed", "aborted", "halted", "expired").
        package var outcomes: [String: [String: String]] = [:]
    }

    /// The logs `consort audit pull` wrote into `directory`: `<member>.jsonl`, `<member>.pem` and (optionally)
    /// `<member>.checkpoints.jsonl`.
    package static func read(directory: String) throws -> [NodeLog] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw AuditError(.fileAccess, "cannot read \(directory): \(error.localizedDescription)", underlying: error)
        }
        let logs = names.filter { $0.hasSuffix(".jsonl") && !$0.hasSuffix(".checkpoints.jsonl") }.sorted()
        guard !logs.isEmpty else {
            throw AuditError(.fileAccess, "\(directory) holds no .jsonl logs: run 'consort audit pull' first")
        }
        return try logs.map { file in
            let member = String(file.dropLast(".jsonl".count))
            let checkpointFile = "\(directory)/\(member).checkpoints.jsonl"
            let checkpoints =
                FileManager.default.fileExists(atPath: checkpointFile)
                ? try String(contentsOfFile: checkpointFile, encoding: .utf8).split(separator: "\n").map {
                    try AuditCheckpoint(json: StrictJSONReader().parse(Array($0.utf8)))
                } : []
            return NodeLog(
                member: member, entries: try AuditExport.read("\(directory)/\(file)"),
                chain: try PEMFiles.readCertificates("\(directory)/\(member).pem"), checkpoints: checkpoints)
        }
    }

    /// What one witness's log records having countersigned: a checkpoint of `node`'s log.
    package struct Countersigned: Hashable, Sendable {
        package var witness: String
        package var node: String
        package var size: Int64
        package var root: String

        package init(witness: String, node: String, size: Int64, root: String) {
            self.witness = witness
            self.node = node
            self.size = size
            self.root = root
        }

        /// What a `checkpoint.witnessed` entry of `witness`'s log records (nil for any other entry).
        package init?(_ entry: AuditEntry, witness: String) {
            guard entry.action == .checkpointWitnessed,
                let details = try? StrictJSONReader().parse(Array(entry.details.utf8)),
                let node = details["node"]?.stringValue,
                case .number(let number)? = details["size"], let size = number.integer,
                let root = details["root"]?.stringValue
            else { return nil }
            self.init(witness: witness, node: node, size: size, root: root)
        }
    }

    /// Every `checkpoint.witnessed` entry of every log.
    package static func countersigned(in logs: [NodeLog]) -> [Countersigned] {
        logs.flatMap { log in log.entries.compactMap { Countersigned($0, witness: log.member) } }
    }

    /// The first checkpoint of `log` that a witness countersigned and the log no longer matches: shorter than it, or
    /// with another Merkle root at its size (the history was cut or rewritten after the witness saw it).
    package static func contradiction(of log: NodeLog, by records: [Countersigned]) -> String? {
        let leaves = log.entries.map { MerkleTree.leafHash($0.entryHash) }
        var roots: [Int64: String] = [:]
        for record in records.sorted(by: { ($0.size, $0.witness) < ($1.size, $1.witness) }) {
            guard record.size <= leaves.count else {
                return "\(record.witness) countersigned a checkpoint of this log at \(record.size) entries, but it has "
                    + "\(leaves.count): entries were removed"
            }
            let root = roots[record.size] ?? Hex.encode(MerkleTree.root(leafHashes: leaves.prefix(Int(record.size))))
            roots[record.size] = root
            guard root == record.root else {
                return "\(record.witness) countersigned this log at \(record.size) entries with root "
                    + "\(record.root.prefix(16))…, but its first \(record.size) entries have root \(root.prefix(16))…: "
                    + "the history was rewritten"
            }
        }
        return nil
    }

    /// Verifies the logs against the operator root.
    package static func verify(_ logs: [NodeLog], root: Certificate) async -> Report {
        var report = Report()
        let countersigned = Self.countersigned(in: logs)
        // "witness|node|size|root" as each witness's own log records it
        let witnessed = Set(countersigned.map { "\($0.witness)|\($0.node)|\($0.size)|\($0.root)" })
        var claimed: [(checkpoint: AuditCheckpoint, witness: MemberID)] = []
        var transcripts: [String: [String: (record: TranscriptRecord, certificate: Certificate)]] = [:]
        var failures: [String: MPCFailureReports] = [:]
        var failed = false
        for log in logs {
            // The node certificate must have been valid while it wrote the log.
            let time = log.entries.last.flatMap { AuditTime.date($0.time) } ?? Date()
            do {
                let verifier = try await AuditVerifier.forNode(chain: log.chain, root: root, at: time)
                switch await verifier.verify(entries: log.entries, checkpoints: log.checkpoints) {
                case .success(let summary):
                    // A log that verifies on its own must still contain what the other nodes countersigned of it.
                    if let contradiction = Self.contradiction(
                        of: log, by: countersigned.filter { $0.node == log.member })
                    {
                        report.lines.append("\(log.member): FAILED: \(contradiction)")
                        failed = true
                        break
                    }
                    report.lines.append(
                        "\(log.member): OK, \(summary.entries) entries, head \(Hex.encode(summary.head)), "
                            + "\(summary.checkpoints) checkpoint(s) with \(summary.witnesses) witness signature(s)")
                    claimed += log.checkpoints.flatMap { checkpoint in
                        checkpoint.witnesses.map { (checkpoint, $0.witness) }
                    }
                case .failure(let failure):
                    report.lines.append(
                        "\(log.member): FAILED at entry \(failure.seq): \(failure.kind.rawValue): \(failure.message)")
                    failed = true
                }
            } catch {
                report.lines.append("\(log.member): FAILED: its certificate does not verify: \(error)")
                failed = true
            }
            for entry in log.entries {
                guard let task = entry.taskID else { continue }
                let outcome: String?
                switch entry.action {
                case .ctsAccepted: outcome = report.outcomes[task]?[log.member] ?? "accepted"
                case .computeFinished: outcome = "computed"
                case .computeAborted: outcome = "aborted"
                case .taskHalted: outcome = "halted"
                case .taskExpired: outcome = "expired"
                default: outcome = nil
                }
                if let outcome { report.outcomes[task, default: [:]][log.member] = outcome }
                if [.computeFinished, .computeAborted].contains(entry.action), let certificate = log.chain.first,
                    case .object(let details)? = try? StrictJSONReader().parse(Array(entry.details.utf8)),
                    let transcript = details["transcript"].flatMap(TranscriptRecord.init(json:))
                {
                    transcripts[task, default: [:]][log.member] = (transcript, certificate)
                }
                if entry.action == .computeAborted,
                    case .object(let details)? = try? StrictJSONReader().parse(Array(entry.details.utf8)),
                    case .number(let party)? = details["party"], let index = party.integer,
                    case .array(let suspects)? = details["suspects"]
                {
                    failures[task, default: MPCFailureReports()].reports[log.member] = .init(
                        party: Int(index),
                        suspects: suspects.compactMap {
                            if case .number(let value) = $0, let integer = value.integer { return Int(integer) }
                            return nil
                        },
                        computing: {
                            guard case .array(let members)? = details["computing"] else { return [] }
                            return members.compactMap { if case .string(let member) = $0 { member } else { nil } }
                        }())
                }
            }
        }
        // What the computing parties' transcripts of each session say about each pair of them (blame, disputes).
        var findings = 0
        for (task, nodes) in transcripts.sorted(by: { $0.key < $1.key }) {
            let found = TranscriptRecord.findings(task: task, nodes: nodes)
            report.lines += found
            findings += found.count
        }
        for (task, reports) in failures.sorted(by: { $0.key < $1.key }) {
            if let finding = reports.finding(task: task) {
                report.lines.append(finding)
                findings += 1
            }
        }
        if findings > 0 { report.lines.append("\(findings) finding(s) about MPC sessions (BLAMED, DISPUTE above)") }
        // A countersignature must be in the witness's own log too (when that log was pulled): a node that rewrote its
        // history cannot produce both.
        let pulled = Set(logs.map(\.member))
        for (checkpoint, witness) in claimed where pulled.contains(witness.rawValue) {
            guard
                witnessed.contains(
                    "\(witness)|\(checkpoint.node)|\(checkpoint.size)|\(Hex.encode(checkpoint.rootHash))")
            else {
                report.lines.append(
                    "\(checkpoint.node): checkpoint at \(checkpoint.size) claims a countersignature of \(witness), whose log does not record it"
                )
                failed = true
                continue
            }
        }
        // Nodes must agree on whether a task produced a result. How a stopped task ended may differ: a halt or a
        // deadline cancels the session on one node first, and its peers then see the session aborted.
        func kind(_ outcome: String) -> String {
            ["aborted", "halted", "expired"].contains(outcome) ? "stopped" : outcome
        }
        for (task, byNode) in report.outcomes.sorted(by: { $0.key < $1.key })
        where Set(byNode.values.map(kind)).count > 1 {
            report.lines.append(
                "task \(task.prefix(16))…: the nodes disagree: "
                    + byNode.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            failed = true
        }
        if !failed {
            report.lines.append("audit verified: \(logs.count) node(s) agree on \(report.outcomes.count) task(s)")
        }
        report.verified = !failed
        return report
    }
}
