import ConsortAudit
import ConsortPKI
import ConsortTesting
import Foundation
import Synchronization
import Testing

/// Acknowledged appends survive crashes of the PostgreSQL server.
@Suite("PostgreSQL durability")
struct PostgresDurabilityTests {
    final class State: Sendable {
        let acknowledged = Mutex<[Int64: [UInt8]]>([:])
        let failures = Mutex(0)
        let running = Atomic<Bool>(true)
    }

    @Test(
        "kill -9 of the server during concurrent appends loses no acknowledged entry; the chain verifies",
        .enabled(if: TestPostgres.canRun, TestPostgres.skipReason))
    func killDuringAppends() async throws {
        _ = try TestPostgres.requireURL()
        let cluster = try TestPostgresCluster()
        defer { cluster.stop() }
        let fixture = AuditFixture()
        let state = State()

        let crashes = try await AuditStores.with(.postgres(url: cluster.url)) { store -> Int in
            let log = AuditLog(store: store, node: fixture.node, key: fixture.key)
            return try await withThrowingTaskGroup(of: Int.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        var index = 0
                        while state.running.load(ordering: .relaxed) {
                            index += 1
                            do {
                                let entry = try await log.append(try fixture.draft(writer * 1_000_000 + index))
                                state.acknowledged.withLock { $0[entry.seq] = entry.entryHash }
                            } catch {
                                state.failures.withLock { $0 += 1 }
                                try await Task.sleep(for: .milliseconds(20))
                            }
                        }
                        return 0
                    }
                }
                group.addTask {
                    var crashes = 0
                    for cycle in 1...3 {
                        // Crash only while appends are flowing: wait for 60 more acknowledgements each time.
                        let target = 60 * cycle
                        for _ in 0..<600 where state.acknowledged.withLock({ $0.count }) < target {
                            try await Task.sleep(for: .milliseconds(50))
                        }
                        try cluster.kill9()
                        crashes += 1
                        try await Task.sleep(for: .milliseconds(200))
                        try cluster.start()
                    }
                    let final = state.acknowledged.withLock { $0.count } + 60
                    for _ in 0..<600 where state.acknowledged.withLock({ $0.count }) < final {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    state.running.store(false, ordering: .relaxed)
                    return crashes
                }
                var crashes = 0
                for try await value in group { crashes += value }
                return crashes
            }
        }
        #expect(crashes == 3)
        let acked = state.acknowledged.withLock { $0 }
        #expect(acked.count >= 240, "appends should have been acknowledged around every crash: \(acked.count)")
        #expect(state.failures.withLock { $0 } > 0, "the crashes should have failed some appends")

        // Read back with a fresh connection pool after the last restart.
        let entries = try await AuditStores.with(.postgres(url: cluster.url)) { store in try await store.allEntries() }
        let stored = Dictionary(uniqueKeysWithValues: entries.map { ($0.seq, $0.entryHash) })
        let lost = acked.filter { stored[$0.key] != $0.value }
        #expect(lost.isEmpty, "\(lost.count) acknowledged entries are missing or different")
        let result = await fixture.verifier().verify(entries: entries, checkpoints: [])
        #expect((try? result.get())?.entries == Int64(entries.count), "\(result)")
        print(
            "durability: \(acked.count) acknowledged, \(entries.count) stored, \(state.failures.withLock { $0 }) failed appends during 3 crashes"
        )
    }
}
