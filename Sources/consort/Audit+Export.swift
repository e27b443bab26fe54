import ArgumentParser
import ConsortAudit
import Foundation

extension Audit {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a node's audit log as JSON Lines, one entry per line.",
            discussion: """
                Example:
                  consort audit export \\
                    --store postgres://consort@db.cp-a.example:5432/consort --out cp-a.jsonl
                """
        )

        @Option(help: "The store: sqlite:PATH, a file path, or postgres://user@host:port/db.")
        var store: String

        @Option(help: "Where to write the export (.jsonl).")
        var out: String

        func run() async throws {
            let address = try Files.existingStore(store)
            let entries = try await AuditStores.with(address) { store in try await store.allEntries() }
            try AuditExport.write(entries, to: out)
            print("exported \(entries.count) entries from \(address) to \(out)")
        }
    }
}
