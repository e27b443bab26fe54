import ArgumentParser
import ConsortAudit
import ConsortPKI
import ConsortSpec
import Foundation

extension Audit {
    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a checkpoint (size and Merkle root) of a node's log and store it.",
            discussion: """
                The identity must be the node that keeps the log. Give the checkpoint to others (--out): a later
                truncation or rewrite of the log then fails verification against it.

                Example:
                  consort audit checkpoint --store sqlite:cp-a/data/audit.db \\
                    --identity cp-a/node --out cp-a.checkpoint.json
                """
        )

        @Option(help: "The store: sqlite:PATH, a file path, or postgres://user@host:port/db.")
        var store: String

        @OptionGroup var identity: IdentityOptions

        @Option(help: "Also write the checkpoint to this file (JSON).")
        var out: String?

        func run() async throws {
            let address = try Files.existingStore(store)
            let signer = try identity.load()
            let checkpoint = try await AuditStores.with(address) { store in
                guard try await store.head().size > 0 else {
                    throw CommandFailure("the store '\(address)' holds no audit log: is it the node's store?")
                }
                return try await AuditLog(store: store, identity: signer).checkpoint()
            }
            if let out {
                try PEMFiles.write(JSONWriter.string(checkpoint.json) + "\n", to: out)
            }
            print(
                "checkpoint of \(checkpoint.node): \(checkpoint.size) entries, root \(Hex.encode(checkpoint.rootHash)), at \(checkpoint.time)"
                    + (out.map { " -> \($0)" } ?? ""))
        }
    }
}
