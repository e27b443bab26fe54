import ConsortAudit
import ConsortSpec
import Foundation
import Logging
import SQLiteNIO

/// The task store in an embedded SQLite file (WAL, synchronous=FULL) in the node's data directory.
package final class SQLiteTaskStore: TaskStore {
    private let connection: SQLiteConnection
    private let lock = AsyncLock()

    private init(connection: SQLiteConnection) { self.connection = connection }

    package static func open(path: String, logger: Logger = Logger(label: "consort.tasks")) async throws
        -> SQLiteTaskStore
    {
        do {
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            for statement in [
                "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=30000",
                """
                CREATE TABLE IF NOT EXISTS tasks (
                    id TEXT PRIMARY KEY, document BLOB NOT NULL, state TEXT NOT NULL, received_at TEXT NOT NULL, updated_at TEXT NOT NULL)
                """,
                """
                CREATE TABLE IF NOT EXISTS uploads (
                    task TEXT NOT NULL, input_table TEXT NOT NULL, member TEXT NOT NULL, rows INTEGER NOT NULL, batch TEXT NOT NULL,
                    received_at TEXT NOT NULL, PRIMARY KEY (task, input_table, member))
                """,
                "CREATE TABLE IF NOT EXISTS releases (task TEXT NOT NULL, member TEXT NOT NULL, released_at TEXT NOT NULL, PRIMARY KEY (task, member))",
            ] { _ = try await connection.query(statement) }
            // Stores written before uploads kept their digest gain the column (empty for those uploads).
            let columns = try await connection.query("PRAGMA table_info(uploads)").compactMap {
                $0.column("name")?.string
            }
            if !columns.contains("sha256") {
                _ = try await connection.query("ALTER TABLE uploads ADD COLUMN sha256 TEXT NOT NULL DEFAULT ''")
            }
            return SQLiteTaskStore(connection: connection)
        } catch {
            throw NodeError(.internalFailure, "cannot open the task store '\(path)': \(error)", underlying: error)
        }
    }

    package func insert(id: String, document: [UInt8], state: TaskLifecycle.State) async throws -> (
        TaskRecord, created: Bool
    ) {
        try await self.lock.withLock {
            if let existing = try await self.unlockedRecord(id) { return (existing, false) }
            let now = DocumentReader.formatTimestamp(Date())
            _ = try await self.connection.query(
                "INSERT INTO tasks (id, document, state, received_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                [.text(id), .blob(ByteBuffer(bytes: document)), .text(state.rawValue), .text(now), .text(now)]
            )
            return (TaskRecord(id: id, document: document, state: state, receivedAt: now), true)
        }
    }

    package func record(_ id: String) async throws -> TaskRecord? {
        try await self.lock.withLock { try await self.unlockedRecord(id) }
    }

    package func all() async throws -> [TaskRecord] {
        try await self.lock.withLock {
            try await self.connection.query("SELECT id, document, state, received_at FROM tasks ORDER BY received_at")
                .map(Self.record)
        }
    }

    private func unlockedRecord(_ id: String) async throws -> TaskRecord? {
        try await self.connection.query("SELECT id, document, state, received_at FROM tasks WHERE id = ?", [.text(id)])
            .first.map(Self.record)
    }

    private static func record(_ row: SQLiteRow) -> TaskRecord {
        let blob = row.column("document")?.blob
        return TaskRecord(
            id: row.column("id")?.string ?? "",
            document: blob.map { Array($0.readableBytesView) } ?? [],
            state: row.column("state")?.string.flatMap(TaskLifecycle.State.init(rawValue:)) ?? .draft,
            receivedAt: row.column("received_at")?.string ?? ""
        )
    }

    package func recordUpload(task: String, _ upload: TaskUpload) async throws -> Bool {
        try await self.lock.withLock {
            let existing = try await self.connection.query(
                "SELECT 1 FROM uploads WHERE task = ? AND input_table = ? AND member = ?",
                [.text(task), .text(upload.table), .text(upload.member)])
            guard existing.isEmpty else { return false }
            _ = try await self.connection.query(
                """
                INSERT INTO uploads (task, input_table, member, rows, batch, sha256, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(task), .text(upload.table), .text(upload.member), .integer(upload.rows), .text(upload.batch),
                    .text(upload.sha256), .text(upload.receivedAt),
                ]
            )
            return true
        }
    }

    package func uploads(task: String) async throws -> [TaskUpload] {
        try await self.lock.withLock {
            try await self.connection.query(
                """
                SELECT input_table, member, rows, batch, sha256, received_at FROM uploads WHERE task = ?
                ORDER BY input_table, member
                """,
                [.text(task)]
            ).map {
                TaskUpload(
                    table: $0.column("input_table")?.string ?? "", member: $0.column("member")?.string ?? "",
                    rows: $0.column("rows")?.integer ?? 0, batch: $0.column("batch")?.string ?? "",
                    sha256: $0.column("sha256")?.string ?? "", receivedAt: $0.column("received_at")?.string ?? "")
            }
        }
    }

    package func transition(_ task: String, from: [TaskLifecycle.State], to state: TaskLifecycle.State) async throws
        -> Bool
    {
        try await self.lock.withLock {
            guard let record = try await self.unlockedRecord(task), from.contains(record.state) else { return false }
            _ = try await self.connection.query(
                "UPDATE tasks SET state = ?, updated_at = ? WHERE id = ?",
                [.text(state.rawValue), .text(DocumentReader.formatTimestamp(Date())), .text(task)])
            return true
        }
    }

    package func recordRelease(task: String, member: String) async throws -> Set<String> {
        try await self.lock.withLock {
            _ = try await self.connection.query(
                "INSERT OR IGNORE INTO releases (task, member, released_at) VALUES (?, ?, ?)",
                [.text(task), .text(member), .text(DocumentReader.formatTimestamp(Date()))])
            return Set(
                try await self.connection.query("SELECT member FROM releases WHERE task = ?", [.text(task)]).compactMap
                { $0.column("member")?.string })
        }
    }

    package func close() async throws { try await self.connection.close() }
}
