import ConsortAudit
import ConsortPKI
import ConsortSpec
import ConsortTesting
import Crypto
import Foundation
import SQLiteNIO
import Testing

/// Runs the same test against every audit store: a fresh SQLite file, and a fresh PostgreSQL database when the test
/// server is configured (always under scripts/test, where a missing server fails the PostgreSQL cases).
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { self.rawValue }

    /// The stores tests run against here: PostgreSQL's cases are left out (not passed) without a test server.
    static var available: [StoreKind] { TestPostgres.canRun ? Self.allCases : [.sqlite] }

    /// A fresh store address.
    func withFreshAddress<T: Sendable>(_ body: (AuditStores.Address) async throws -> T) async throws -> T {
        switch self {
        case .sqlite:
            let directory = try Subprocess.temporaryDirectory("consort-audit")
            defer { try? FileManager.default.removeItem(at: directory) }
            return try await body(.sqlite(path: directory.appendingPathComponent("audit.db").path))
        case .postgres:
            return try await TestPostgres.withDatabase { url in try await body(.postgres(url: url)) }
        }
    }

    /// Raw SQL against the store's database, as a database administrator would run it.
    static func execute(_ statements: [String], on address: AuditStores.Address) async throws {
        switch address {
        case .sqlite(let path):
            let connection = try await SQLiteConnection.open(storage: .file(path: path))
            do {
                for statement in statements { _ = try await connection.query(statement) }
                try await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
        case .postgres(let url):
            try await TestPostgres.execute(statements, url: url)
        }
    }
}

/// A node identity and helpers to fill logs.
struct AuditFixture: Sendable {
    let node = try! MemberID("cp-a")
    let key = P256.Signing.PrivateKey()
    let actor = AuditActor(fingerprint: String(repeating: "ab", count: 32), subject: "consort://nso-north/user/alice")

    func draft(_ index: Int) throws -> AuditDraft {
        try AuditDraft(
            actor: self.actor, action: index % 3 == 0 ? .inputReceived : .requestDenied,
            taskID: String(repeating: "0", count: 63) + String(index % 10),
            details: JSONObject([("rows", .number(JSONNumber(Int64(index)))), ("table", "households")]))
    }

    /// Appends `count` synthetic entries in large batches (fast fill for tamper tests).
    func fill(_ store: any AuditStore, count: Int, batch: Int = 500) async throws {
        var done = 0
        while done < count {
            let drafts = try (done..<min(count, done + batch)).map(self.draft)
            let node = self.node
            let key = self.key
            _ = try await store.append(drafts) { head, drafts in
                var previous = head.hash
                var seq = head.size
                return try drafts.map { draft in
                    seq += 1
                    let entry = try AuditEntry.seal(draft, seq: seq, previousHash: previous, node: node, key: key)
                    previous = entry.entryHash
                    return entry
                }
            }
            done += drafts.count
        }
    }

    func verifier() -> AuditVerifier {
        AuditVerifier(nodeKey: self.key.publicKey, node: self.node, certificates: nil)
    }
}
