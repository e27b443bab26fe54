import ConsortAudit
import ConsortPKI
import ConsortSpec
import ConsortTesting
import Crypto
import Foundation
import Testing

/// A database administrator rewrites history: drops the trigger, then edits, deletes, swaps, inserts, truncates or
/// rebuilds the whole chain. The auditor must detect and locate each.
@Suite("Audit tampering is detected and located")
struct TamperTests {
    static let size = 10_000
    let fixture = AuditFixture()

    struct Scenario: Sendable {
        var name: String
        var seq: Int64
        var kind: AuditVerifier.FailureKind
        var statements: @Sendable (AuditStores.Address, [AuditEntry]) throws -> [String]
    }

    static func dropTriggers(_ address: AuditStores.Address) -> [String] {
        switch address {
        case .sqlite:
            return [
                "DROP TRIGGER audit_entries_no_update", "DROP TRIGGER audit_entries_no_delete",
                "DROP TRIGGER audit_checkpoints_no_delete",
            ]
        case .postgres:
            return [
                "DROP TRIGGER audit_entries_append_only ON audit_entries",
                "DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints",
            ]
        }
    }

    static func blob(_ bytes: [UInt8], _ address: AuditStores.Address) -> String {
        switch address {
        case .sqlite: return "X'\(Hex.encode(bytes))'"
        case .postgres: return "'\\x\(Hex.encode(bytes))'::bytea"
        }
    }

    static func text(_ value: String) -> String { "'" + value.replacingOccurrences(of: "'", with: "''") + "'" }

    static func insert(_ entries: [AuditEntry], _ address: AuditStores.Address) -> [String] {
        stride(from: 0, to: entries.count, by: 500).map { start in
            let rows = entries[start..<min(entries.count, start + 500)].map { entry in
                "(\(entry.seq), \(text(entry.time)), \(text(entry.node.rawValue)), \(text(entry.actor.fingerprint)), "
                    + "\(text(entry.actor.subject)), \(text(entry.action.rawValue)), \(entry.taskID.map(text) ?? "NULL"), "
                    + "\(text(entry.details)), \(blob(entry.previousHash, address)), \(blob(entry.entryHash, address)), "
                    + "\(blob(entry.signature, address)))"
            }
            return
                "INSERT INTO audit_entries (seq, time, node, actor_fingerprint, actor_subject, action, task_id, details, "
                + "prev_hash, entry_hash, signature) VALUES " + rows.joined(separator: ",")
        }
    }

    static func scenarios(fixture: AuditFixture) -> [Scenario] {
        let attacker = P256.Signing.PrivateKey()
        return [
            Scenario(name: "edited detail", seq: 4321, kind: .edited) { address, _ in
                dropTriggers(address) + [
                    "UPDATE audit_entries SET details = '{\"rows\":999999,\"table\":\"households\"}' WHERE seq = 4321"
                ]
            },
            Scenario(name: "deleted row", seq: 5000, kind: .missing) { address, _ in
                dropTriggers(address) + ["DELETE FROM audit_entries WHERE seq = 5000"]
            },
            Scenario(name: "deleted row, later rows renumbered", seq: 5000, kind: .missing) { address, _ in
                dropTriggers(address) + [
                    "DELETE FROM audit_entries WHERE seq = 5000",
                    "UPDATE audit_entries SET seq = seq + 1000000 WHERE seq > 5000",
                    "UPDATE audit_entries SET seq = seq - 1000001 WHERE seq > 1000000",
                ]
            },
            Scenario(name: "swapped rows", seq: 6000, kind: .reordered) { address, _ in
                dropTriggers(address) + [
                    "UPDATE audit_entries SET seq = 99000000 WHERE seq = 6000",
                    "UPDATE audit_entries SET seq = 6000 WHERE seq = 6001",
                    "UPDATE audit_entries SET seq = 6001 WHERE seq = 99000000",
                ]
            },
            Scenario(name: "inserted row", seq: 7000, kind: .inserted) { address, entries in
                let previous = entries[6998]
                let forgedDraft = try AuditDraft(
                    actor: fixture.actor, action: .outputReleased, taskID: previous.taskID,
                    details: JSONObject([("to", "attacker")]))
                let forged = try AuditEntry.seal(
                    forgedDraft, seq: 7000, previousHash: previous.entryHash, node: fixture.node,
                    key: attacker, time: previous.time)
                return dropTriggers(address) + [
                    "UPDATE audit_entries SET seq = seq + 1000000 WHERE seq >= 7000",
                    "UPDATE audit_entries SET seq = seq - 999999 WHERE seq > 1000000",
                ] + insert([forged], address)
            },
            Scenario(name: "truncated tail (against an earlier checkpoint)", seq: 9001, kind: .truncated) {
                address, _ in
                dropTriggers(address) + ["DELETE FROM audit_entries WHERE seq > 9000", "DELETE FROM audit_checkpoints"]
            },
            Scenario(name: "whole chain rebuilt with another key", seq: 1, kind: .resigned) { address, entries in
                var previous = AuditEntry.genesisHash
                var rebuilt: [AuditEntry] = []
                for var entry in entries {
                    if entry.seq == 3000 { entry.details = "{\"rows\":0,\"table\":\"households\"}" }
                    let draft = AuditDraft.unchecked(
                        actor: entry.actor, action: entry.action, taskID: entry.taskID, details: entry.details)
                    let sealed = try AuditEntry.seal(
                        draft, seq: entry.seq, previousHash: previous, node: entry.node, key: attacker, time: entry.time
                    )
                    previous = sealed.entryHash
                    rebuilt.append(sealed)
                }
                return dropTriggers(address) + ["DELETE FROM audit_entries"] + insert(rebuilt, address)
            },
        ]
    }

    @Test("each tampering of a 10,000-entry log is detected and located", arguments: StoreKind.available)
    func tampering(_ kind: StoreKind) async throws {
        let fixture = self.fixture
        let scenarios = Self.scenarios(fixture: fixture)
        _ = try await kind.withFreshAddress { base in
            // Build the genuine log once, with a checkpoint the auditor keeps a copy of.
            let (original, checkpoint) = try await AuditStores.with(base) { store in
                try await fixture.fill(store, count: Self.size)
                let entries = try await store.allEntries()
                let root = MerkleTree.root(leafHashes: entries.map { MerkleTree.leafHash($0.entryHash) })
                let checkpoint = try AuditCheckpoint.sign(
                    node: fixture.node, size: Int64(entries.count), rootHash: root, key: fixture.key)
                try await store.store(checkpoint)
                return (entries, checkpoint)
            }
            let genuine = await fixture.verifier().verify(entries: original, checkpoints: [checkpoint])
            #expect((try? genuine.get())?.entries == Int64(Self.size), "the genuine log must verify: \(genuine)")

            for scenario in scenarios {
                try await Self.withCopy(of: base) { copy in
                    try await StoreKind.execute(try scenario.statements(copy, original), on: copy)
                    let (entries, stored) = try await AuditStores.with(copy) { store in
                        (try await store.allEntries(), try await store.checkpoints(of: nil))
                    }
                    let result = await fixture.verifier().verify(entries: entries, checkpoints: stored + [checkpoint])
                    switch result {
                    case .success:
                        Issue.record("\(kind) \(scenario.name): not detected")
                    case .failure(let failure):
                        #expect(
                            failure.seq == scenario.seq && failure.kind == scenario.kind,
                            "\(kind) \(scenario.name): expected \(scenario.kind) at \(scenario.seq), got \(failure)")
                    }
                }
            }
        }
    }

    /// A copy of the database at `base` for one scenario.
    static func withCopy(of base: AuditStores.Address, _ body: (AuditStores.Address) async throws -> Void) async throws
    {
        switch base {
        case .sqlite(let path):
            let directory = try Subprocess.temporaryDirectory("consort-tamper")
            defer { try? FileManager.default.removeItem(at: directory) }
            let copy = directory.appendingPathComponent("audit.db").path
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            try await body(.sqlite(path: copy))
        case .postgres(let url):
            let template = String(url.split(separator: "/").last!)
            _ = try await TestPostgres.withDatabase(template: template) { copy in try await body(.postgres(url: copy)) }
        }
    }
}
