import ArgumentParser
import ConsortAudit
import ConsortClient
import ConsortPKI
import ConsortSpec
import Foundation

extension Bench {
    struct AuditBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit",
            abstract: "Append synthetic signed entries from concurrent writers and report appends per second.",
            discussion: """
                Each append is sealed, signed and durable before it is acknowledged; concurrent writers share one log
                (group commit). Also a quick way to fill a log for tests.

                Example:
                  swift run -c release consort bench audit --store sqlite:/tmp/bench.db --identity cp-a/node --entries 20000 --writers 4
                """
        )

        @Option(help: "The store: sqlite:PATH, a file path, or postgres://user@host:port/db.")
        var store: String

        @OptionGroup var identity: IdentityOptions

        @Option(help: "Number of entries to append.")
        var entries: Int = 10_000

        @Option(help: "Number of concurrent writers.")
        var writers: Int = 1

        @Flag(help: "Print one JSON object instead of text.")
        var json = false

        func run() async throws {
            guard entries > 0, writers > 0, writers <= entries else {
                throw ValidationError("--entries and --writers must be positive, with no more writers than entries")
            }
            let address = try AuditStores.Address(store)
            let signer = try identity.load()
            let total = entries
            let writerCount = writers
            let (seconds, head) = try await AuditStores.with(address) { store -> (Double, AuditHead) in
                let log = try AuditLog(store: store, identity: signer)
                let actor = AuditActor(
                    fingerprint: VerifiedIdentity.fingerprint(of: signer.certificate), subject: "consort bench audit")
                let start = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<writerCount {
                        let share = total / writerCount + (writer < total % writerCount ? 1 : 0)
                        group.addTask {
                            for index in 0..<share {
                                try await log.append(
                                    try AuditDraft(
                                        actor: actor, action: .benchmark,
                                        details: [
                                            "writer": .number(JSONNumber(Int64(writer))),
                                            "index": .number(JSONNumber(Int64(index))),
                                        ]))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let elapsed = ContinuousClock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                return (seconds, try await store.head())
            }
            let rate = Double(total) / seconds
            if json {
                let summary = AuditBenchSummary(
                    store: "\(address)", entries: total, writers: writerCount, seconds: seconds,
                    appendsPerSecond: rate.rounded(), head: Hex.encode(head.hash), size: head.size)
                print(String(decoding: try APIJSON.encode(summary), as: UTF8.self))
            } else {
                print(
                    "\(total) signed appends by \(writerCount) writer(s) to \(address) in \(String(format: "%.3f", seconds)) s: "
                        + "\(Int(rate.rounded())) appends/s; head #\(head.size) \(Hex.encode(head.hash))")
            }
        }
    }
}

/// What `consort bench audit --json` prints.
struct AuditBenchSummary: Codable {
    var store: String
    var entries: Int
    var writers: Int
    var seconds: Double
    var appendsPerSecond: Double
    var head: String
    var size: Int64
}
