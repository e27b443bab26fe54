import ConsortAudit
import ConsortSpec
import Foundation
import Logging
import SQLiteNIO

/// The tasks a node knows: the signed CTS exactly as received and this node's lifecycle state, in an embedded
/// SQLite file (WAL, synchronous=FULL) in the node's data directory.
package final class TaskStore: Sendable {
    package struct Record: Sendable, Equatable {
        package var id: String
        package var document: [UInt8]
        package var state: TaskLifecycle.State
        package var receivedAt: String
    }

    private let connection: SQLiteConnection
    private let lock = AsyncLock()

    private init(connection: SQLiteConnection) { self.connection = connection }

    package static func open(path: String, logger: Logger = Logger(label: "consort.tasks")) async throws -> TaskStore {
        do {
            try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            for statement in [
                "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=30000",
                """
                CREATE TABLE IF NOT EXISTS tasks (
                    id TEXT PRIMARY KEY, document BLOB NOT NULL, state TEXT NOT NULL, received_at TEXT NOT NULL, updated_at TEXT NOT NULL)
                """,
            ] { _ = try await connection.query(statement) }
            return TaskStore(connection: connection)
        } catch {
            throw NodeError(.internalFailure, "cannot open the task store '\(path)': \(error)", underlying: error)
        }
    }

    /// Stores a new task; returns the existing record instead if the id is known (a resubmission changes nothing).
    package func insert(id: String, document: [UInt8], state: TaskLifecycle.State) async throws -> (Record, created: Bool) {
        try await self.lock.withLock {
            if let existing = try await self.unlockedRecord(id) { return (existing, false) }
            let now = DocumentReader.formatTimestamp(Date())
            _ = try await self.connection.query(
                "INSERT INTO tasks (id, document, state, received_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                [.text(id), .blob(ByteBuffer(bytes: document)), .text(state.rawValue), .text(now), .text(now)]
            )
            return (Record(id: id, document: document, state: state, receivedAt: now), true)
        }
    }

    package func record(_ id: String) async throws -> Record? {
        try await self.lock.withLock { try await self.unlockedRecord(id) }
    }

    package func all() async throws -> [Record] {
        try await self.lock.withLock {
            try await self.connection.query("SELECT id, document, state, received_at FROM tasks ORDER BY received_at").map(Self.record)
        }
    }

    private func unlockedRecord(_ id: String) async throws -> Record? {
        try await self.connection.query("SELECT id, document, state, received_at FROM tasks WHERE id = ?", [.text(id)]).first.map(Self.record)
    }

    private static func record(_ row: SQLiteRow) -> Record {
        let blob = row.column("document")?.blob
        return Record(
            id: row.column("id")?.string ?? "",
            document: blob.map { Array($0.readableBytesView) } ?? [],
            state: row.column("state")?.string.flatMap(TaskLifecycle.State.init(rawValue:)) ?? .draft,
            receivedAt: row.column("received_at")?.string ?? ""
        )
    }

    package func close() async throws { try await self.connection.close() }
}
