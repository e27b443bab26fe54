import ArgumentParser
import ConsortAudit
import ConsortPKI
import ConsortSpec
import Foundation
import X509

extension Audit {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a node's audit log: chain, signatures, checkpoints and witnesses.",
            discussion: """
                Prints "OK: N entries, head <hash>" or the first failing sequence number and what is wrong there
                (edited, missing, reordered, inserted, truncated, resigned); exit status 1 on failure.

                With --dir (from 'consort audit pull'), every node's log is verified with its checkpoints and their
                countersignatures, and the nodes must agree on each task they share: computed on all, or stopped on all
                (aborted, halted or expired).

                Examples:
                  consort audit verify --dir logs --root op/operator.pem
                  consort audit verify --store sqlite:cp-a/audit.db --cert cp-a/node.pem --root op/operator.pem
                  consort audit verify --file cp-a.jsonl --cert cp-a/node.pem --root op/operator.pem --checkpoint cp-a.checkpoint.json
                """
        )

        @Option(help: "Read the log from this store (sqlite:PATH, a path, or postgres://...).")
        var store: String?

        @Option(help: "Read the log from this export (.jsonl).")
        var file: String?

        @Option(help: "The node's certificate chain (PEM) whose key signed the log.")
        var cert: String?

        @Option(help: "A directory from 'consort audit pull': verify every node's log and their agreement.")
        var dir: String?

        @Option(help: "The operator root certificate (PEM).")
        var root: String

        @Option(help: "A checkpoint file to verify the log against (repeatable).")
        var checkpoint: [String] = []

        func run() async throws {
            if let dir {
                guard try await Self.verifyDirectory(dir, root: try PEMFiles.readCertificates(root)[0], report: { print($0) }) else { throw ExitCode(1) }
                return
            }
            guard let cert else { throw ValidationError("give --cert with --store or --file, or use --dir") }
            let entries: [AuditEntry]
            var checkpoints = try checkpoint.map(AuditCheckpoint.read)
            switch (store, file) {
            case (let address?, nil):
                let (stored, storedCheckpoints) = try await AuditStores.with(try AuditStores.Address(address)) { store in
                    (try await store.allEntries(), try await store.checkpoints(of: nil))
                }
                entries = stored
                checkpoints += storedCheckpoints
            case (nil, let path?):
                entries = try AuditExport.read(path)
            default:
                throw ValidationError("give exactly one of --store and --file")
            }
            let chain = try PEMFiles.readCertificates(cert)
            let rootCertificate = try PEMFiles.readCertificates(root)[0]
            // The node certificate must have been valid while it wrote the log.
            let time = entries.last.flatMap { AuditTime.date($0.time) } ?? Date()
            let verifier = try await AuditVerifier.forNode(chain: chain, root: rootCertificate, at: time)
            switch await verifier.verify(entries: entries, checkpoints: checkpoints) {
            case .success(let summary):
                var line = "OK: \(summary.entries) entries, head \(Hex.encode(summary.head))"
                if summary.checkpoints > 0 { line += ", \(summary.checkpoints) checkpoint(s), \(summary.witnesses) witness signature(s)" }
                print(line)
            case .failure(let failure):
                print("FAILED at entry \(failure.seq): \(failure.kind.rawValue): \(failure.message)")
                throw ExitCode(1)
            }
        }
    }
}

extension Audit.Verify {
    /// Every `<member>.jsonl` with its `<member>.pem`, then agreement on each shared task's outcome; reports a line per
    /// node and per disagreement, and a final verdict; true if everything verifies.
    static func verifyDirectory(_ dir: String, root rootCertificate: Certificate, report: (String) -> Void) async throws -> Bool {
        let logs = try FileManager.default.contentsOfDirectory(atPath: dir)
            .filter { $0.hasSuffix(".jsonl") && !$0.hasSuffix(".checkpoints.jsonl") }.sorted()
        guard !logs.isEmpty else { throw ValidationError("\(dir) holds no .jsonl logs: run 'consort audit pull' first") }
        var outcomes: [String: [String: String]] = [:]  // task → node → outcome
        var witnessed = Set<String>()  // "witness|node|size|root" as each witness's own log records it
        var claimed: [(checkpoint: AuditCheckpoint, witness: MemberID)] = []
        var failed = false
        for file in logs {
            let member = String(file.dropLast(".jsonl".count))
            let entries = try AuditExport.read("\(dir)/\(file)")
            let chain = try PEMFiles.readCertificates("\(dir)/\(member).pem")
            let checkpointFile = "\(dir)/\(member).checkpoints.jsonl"
            let checkpoints = FileManager.default.fileExists(atPath: checkpointFile)
                ? try String(contentsOfFile: checkpointFile, encoding: .utf8).split(separator: "\n").map {
                    try AuditCheckpoint(json: StrictJSONReader().parse(Array($0.utf8)))
                } : []
            let time = entries.last.flatMap { AuditTime.date($0.time) } ?? Date()
            let verifier = try await AuditVerifier.forNode(chain: chain, root: rootCertificate, at: time)
            switch await verifier.verify(entries: entries, checkpoints: checkpoints) {
            case .success(let summary):
                report("\(member): OK, \(summary.entries) entries, head \(Hex.encode(summary.head)), "
                    + "\(summary.checkpoints) checkpoint(s) with \(summary.witnesses) witness signature(s)")
                claimed += checkpoints.flatMap { checkpoint in checkpoint.witnesses.map { (checkpoint, $0.witness) } }
            case .failure(let failure):
                report("\(member): FAILED at entry \(failure.seq): \(failure.kind.rawValue): \(failure.message)")
                failed = true
            }
            for entry in entries where entry.action == .checkpointWitnessed {
                if let details = try? StrictJSONReader().parse(Array(entry.details.utf8)), let node = details["node"]?.stringValue,
                    case .number(let number)? = details["size"], let size = number.integer, let root = details["root"]?.stringValue
                {
                    witnessed.insert("\(member)|\(node)|\(size)|\(root)")
                }
            }
            for entry in entries {
                guard let task = entry.taskID else { continue }
                let outcome: String?
                switch entry.action {
                case .ctsAccepted: outcome = outcomes[task]?[member] ?? "accepted"
                case .computeFinished: outcome = "computed"
                case .computeAborted: outcome = "aborted"
                case .taskHalted: outcome = "halted"
                case .taskExpired: outcome = "expired"
                default: outcome = nil
                }
                if let outcome { outcomes[task, default: [:]][member] = outcome }
            }
        }
        // A countersignature must be in the witness's own log too (when that log was pulled): a node that rewrote its
        // history cannot produce both.
        let pulled = Set(logs.map { String($0.dropLast(".jsonl".count)) })
        for (checkpoint, witness) in claimed where pulled.contains(witness.rawValue) {
            guard witnessed.contains("\(witness)|\(checkpoint.node)|\(checkpoint.size)|\(Hex.encode(checkpoint.rootHash))") else {
                report("\(checkpoint.node): checkpoint at \(checkpoint.size) claims a countersignature of \(witness), whose log does not record it")
                failed = true
                continue
            }
        }
        // Nodes must agree on whether a task produced a result. How a stopped task ended may differ: a halt or a
        // deadline cancels the session on one node first, and its peers then see the session aborted.
        func kind(_ outcome: String) -> String { ["aborted", "halted", "expired"].contains(outcome) ? "stopped" : outcome }
        for (task, byNode) in outcomes.sorted(by: { $0.key < $1.key }) where Set(byNode.values.map(kind)).count > 1 {
            report("task \(task.prefix(16))…: the nodes disagree: " + byNode.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            failed = true
        }
        if !failed { report("audit verified: \(logs.count) node(s) agree on \(outcomes.count) task(s)") }
        return !failed
    }
}
