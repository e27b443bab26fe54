import ConsortAudit
import ConsortTesting
import Foundation
import SQLiteNIO
import Testing

@Suite("SQLite transactions")
struct SQLiteTransactionTests {
    @Test("a transaction an earlier failure left open is rolled back, not left to refuse every later write")
    func staleTransaction() async throws {
        let directory = try Subprocess.temporaryDirectory("consort-sqlite")
        defer { try? FileManager.default.removeItem(at: directory) }
        let connection = try await SQLiteConnection.open(storage: .file(path: "\(directory.path)/t.db"))
        _ = try await connection.query("CREATE TABLE t (x INTEGER)")
        // What a failed COMMIT whose ROLLBACK failed too leaves behind: an open transaction with a write in it.
        _ = try await connection.query("BEGIN IMMEDIATE")
        _ = try await connection.query("INSERT INTO t VALUES (1)")
        do {
            _ = try await connection.query("BEGIN IMMEDIATE")
            Issue.record("SQLite started a transaction within a transaction")
        } catch {
            #expect("\(error)".contains("within a transaction"), "\(error)")
        }
        try await connection.immediateTransaction { _ = try await connection.query("INSERT INTO t VALUES (2)") }
        // The unacknowledged write is gone, the new one committed; a failing body still rolls back.
        await #expect(throws: CancellationError.self) {
            try await connection.immediateTransaction {
                _ = try await connection.query("INSERT INTO t VALUES (3)")
                throw CancellationError()
            }
        }
        let rows = try await connection.query("SELECT x FROM t ORDER BY x").compactMap { $0.column("x")?.integer }
        #expect(rows == [2])
        try await connection.close()
    }
}
