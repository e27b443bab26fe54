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
                  consort audit verify --store sqlite:cp-a/data/audit.db \\
                    --cert cp-a/node.pem --root op/operator.pem
                  consort audit verify --file cp-a.jsonl --cert cp-a/node.pem \\
                    --root op/operator.pem --checkpoint cp-a.checkpoint.json
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
                guard
                    try await Self.verifyDirectory(
                        dir, root: try PEMFiles.readCertificates(root)[0], report: { print($0) })
                else { throw ExitCode(1) }
                return
            }
            guard let cert else { throw ValidationError("give --cert with --store or --file, or use --dir") }
            let entries: [AuditEntry]
            var checkpoints = try checkpoint.map(AuditCheckpoint.read)
            switch (store, file) {
            case (let address?, nil):
                let (stored, storedCheckpoints) = try await AuditStores.with(try Files.existingStore(address)) {
                    store in
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
                if summary.checkpoints > 0 {
                    line += ", \(summary.checkpoints) checkpoint(s), \(summary.witnesses) witness signature(s)"
                }
                print(line)
            case .failure(let failure):
                print("FAILED at entry \(failure.seq): \(failure.kind.rawValue): \(failure.message)")
                throw ExitCode(1)
            }
        }
    }
}

extension Audit.Verify {
    /// Every log of a directory from `audit pull`, verified together (`AuditDirectoryVerifier`); reports a line per
    /// node and per problem, and a final verdict; true if everything verifies.
    static func verifyDirectory(_ dir: String, root: Certificate, report: (String) -> Void) async throws -> Bool {
        let logs: [AuditDirectoryVerifier.NodeLog]
        do { logs = try AuditDirectoryVerifier.read(directory: dir) } catch let error as AuditError {
            throw ValidationError(error.message)
        }
        let result = await AuditDirectoryVerifier.verify(logs, root: root)
        for line in result.lines { report(line) }
        return result.verified
    }
}
