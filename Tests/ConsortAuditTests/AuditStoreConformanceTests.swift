import ConsortAudit
import ConsortPKI
import ConsortSpec
import ConsortTesting
import Crypto
import Foundation
import Testing

/// One behaviour for every audit store.
@Suite("Audit store conformance")
struct AuditStoreConformanceTests {
    let fixture = AuditFixture()

    @Test("append, read back, head and chain", arguments: StoreKind.available)
    func appendAndRead(_ kind: StoreKind) async throws {
        let fixture = self.fixture
        _ = try await kind.withFreshAddress { address in
            try await AuditStores.with(address) { store in
                let log = AuditLog(store: store, node: fixture.node, key: fixture.key)
                let emptyHead = try await store.head()
                #expect(emptyHead == .empty)
                var written: [AuditEntry] = []
                for index in 0..<25 { written.append(try await log.append(try fixture.draft(index))) }
                let read = try await store.allEntries()
                #expect(read == written)
                #expect(read.map(\.seq) == Array(1...25))
                let head = try await store.head()
                #expect(head == AuditHead(size: 25, hash: written.last!.entryHash))
                #expect(try await store.entries(from: 10, limit: 3).map(\.seq) == [10, 11, 12])
                let result = await fixture.verifier().verify(entries: read, checkpoints: [])
                #expect((try? result.get())?.entries == 25)
            }
        }
    }

    @Test(
        "concurrent writers never produce a gap or a fork, even from two processes' worth of logs",
        arguments: StoreKind.available)
    func concurrentWriters(_ kind: StoreKind) async throws {
        let fixture = self.fixture
        _ = try await kind.withFreshAddress { address in
            // Two independent store handles on one database stand in for two processes.
            try await AuditStores.with(address) { first in
                try await AuditStores.with(address) { second in
                    let logs = [
                        AuditLog(store: first, node: fixture.node, key: fixture.key),
                        AuditLog(store: second, node: fixture.node, key: fixture.key),
                    ]
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for writer in 0..<8 {
                            group.addTask {
                                for index in 0..<100 {
                                    try await logs[writer % 2].append(try fixture.draft(writer * 1000 + index))
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                    let entries = try await first.allEntries()
                    #expect(entries.map(\.seq) == Array(1...800))
                    let result = await fixture.verifier().verify(entries: entries, checkpoints: [])
                    #expect((try? result.get())?.entries == 800, "\(result)")
                }
            }
        }
    }

    @Test("the database refuses UPDATE and DELETE of audit rows", arguments: StoreKind.available)
    func appendOnly(_ kind: StoreKind) async throws {
        let fixture = self.fixture
        _ = try await kind.withFreshAddress { address in
            try await AuditStores.with(address) { store in try await fixture.fill(store, count: 3) }
            for statement in [
                "UPDATE audit_entries SET details = '{}' WHERE seq = 2", "DELETE FROM audit_entries WHERE seq = 3",
                "UPDATE audit_checkpoints SET size = 1", "DELETE FROM audit_witnesses",
            ] {
                do {
                    try await StoreKind.execute([statement], on: address)
                    // Statements that match no row cannot be refused by a row trigger; only entry rows exist here.
                    #expect(!statement.contains("audit_entries"), "\(statement) was not refused")
                } catch {
                    #expect(
                        "\(error)".contains("append-only") || "\(String(reflecting: error))".contains("append-only"),
                        "\(error)")
                }
            }
            let count = try await AuditStores.with(address) { store in try await store.allEntries().count }
            #expect(count == 3)
        }
    }

    @Test("checkpoints and witnesses are stored and verify", arguments: StoreKind.available)
    func checkpoints(_ kind: StoreKind) async throws {
        let fixture = self.fixture
        var mutableConsortium = try TestConsortium()
        try mutableConsortium.admit("cp-b", roles: [.compute])
        let consortium = mutableConsortium
        let witnessIdentity = try consortium.node("cp-b")
        _ = try await kind.withFreshAddress { address in
            try await AuditStores.with(address) { store in
                let log = AuditLog(store: store, node: fixture.node, key: fixture.key)
                try await fixture.fill(store, count: 40)
                var checkpoint = try await log.checkpoint()
                #expect(checkpoint.size == 40)
                checkpoint.witnesses.append(try checkpoint.witnessed(by: witnessIdentity, member: try MemberID("cp-b")))
                try await store.store(checkpoint)
                try await store.store(checkpoint)  // idempotent
                let stored = try await store.checkpoints(of: fixture.node)
                #expect(stored == [checkpoint])
                let entries = try await store.allEntries()
                #expect(entries.count == 41)  // plus the checkpoint.signed entry
                let verifier = AuditVerifier(
                    nodeKey: fixture.key.publicKey, node: fixture.node,
                    certificates: consortium.verifier())
                let result = await verifier.verify(entries: entries, checkpoints: stored)
                #expect((try? result.get())?.witnesses == 1, "\(result)")
            }
        }
    }

    @Test("export and re-import preserve every byte", arguments: StoreKind.available)
    func exportRoundTrip(_ kind: StoreKind) async throws {
        let fixture = self.fixture
        _ = try await kind.withFreshAddress { address in
            try await AuditStores.with(address) { store in
                try await fixture.fill(store, count: 30)
                let entries = try await store.allEntries()
                let directory = try Subprocess.temporaryDirectory()
                defer { try? FileManager.default.removeItem(at: directory) }
                let path = directory.appendingPathComponent("log.jsonl").path
                try AuditExport.write(entries, to: path)
                #expect(try AuditExport.read(path) == entries)
            }
        }
    }
}
