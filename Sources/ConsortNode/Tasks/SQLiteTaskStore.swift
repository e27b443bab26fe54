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
            do { try await Self.prepare(connection) } catch {
                try? await connection.close()
                throw error
            }
            return SQLiteTaskStore(connection: connection)
        } catch {
            throw NodeError(.internalFailure, "cannot open the task store '\(path)': \(error)", underlying: error)
        }
    }

    /// Creates the tables, or brings those of an older store up to date.
    private static func prepare(_ connection: SQLiteConnection) async throws {
        for statement in [
            "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=30000",
            """
            CREATE TABLE IF NOT EXISTS tasks (
                id TEXT PRIMARY KEY, document BLOB NOT NULL, state TEXT NOT NULL, received_at TEXT NOT NULL, updated_at TEXT NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS uploads (
                task TEXT NOT NULL, input_table TEXT NOT NULL, member TEXT NOT NULL, rows INTEGER NOT NULL, batch TEXT NOT NULL,
                received_at TEXT NOT NULL, sha256 TEXT NOT NULL DEFAULT '', final INTEGER NOT NULL DEFAULT 1,
                PRIMARY KEY (task, input_table, member, batch))
            """,
            "CREATE TABLE IF NOT EXISTS releases (task TEXT NOT NULL, member TEXT NOT NULL, released_at TEXT NOT NULL, PRIMARY KEY (task, member))",
        ] { _ = try await connection.query(statement) }
        // Stores written before uploads kept their digest gain the column (empty for those uploads); stores
        // written before the task index gain its columns (NULL until `TaskStores.open` indexes those tasks).
        for (table, column, type) in [
            ("uploads", "sha256", "TEXT NOT NULL DEFAULT ''"), ("tasks", "cts_id", "TEXT"),
            ("tasks", "title", "TEXT"), ("tasks", "inputs_deadline", "TEXT"), ("tasks", "compute_deadline", "TEXT"),
            ("tasks", "outputs_deadline", "TEXT"),
        ] {
            let columns = try await connection.query("PRAGMA table_info(\(table))").compactMap {
                $0.column("name")?.string
            }
            if !columns.contains(column) {
                _ = try await connection.query("ALTER TABLE \(table) ADD COLUMN \(column) \(type)")
            }
        }
        // Stores written when a party uploaded a table in one piece key uploads without the batch: rebuilt with it
        // (SQLite cannot change a primary key in place), every upload of theirs being its party's final batch.
        let uploadColumns = try await connection.query("PRAGMA table_info(uploads)").compactMap {
            $0.column("name")?.string
        }
        if !uploadColumns.contains("final") {
            try await connection.immediateTransaction {
                for statement in [
                    """
                    CREATE TABLE uploads_batched (
                        task TEXT NOT NULL, input_table TEXT NOT NULL, member TEXT NOT NULL, rows INTEGER NOT NULL,
                        batch TEXT NOT NULL, received_at TEXT NOT NULL, sha256 TEXT NOT NULL DEFAULT '',
                        final INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (task, input_table, member, batch))
                    """,
                    """
                    INSERT INTO uploads_batched (task, input_table, member, rows, batch, received_at, sha256, final)
                    SELECT task, input_table, member, rows, batch, received_at, sha256, 1 FROM uploads
                    """,
                    "DROP TABLE uploads", "ALTER TABLE uploads_batched RENAME TO uploads",
                ] { _ = try await connection.query(statement) }
            }
        }
        // A member's tasks in the order received: `seq` is the task's rowid, which only grows (tasks are never
        // deleted, only purged of their data).
        for statement in [
            """
            CREATE TABLE IF NOT EXISTS task_parties (
                member TEXT NOT NULL, seq INTEGER NOT NULL, task TEXT NOT NULL, PRIMARY KEY (member, seq)) WITHOUT ROWID
            """,
            "CREATE INDEX IF NOT EXISTS tasks_state ON tasks (state)",
        ] { _ = try await connection.query(statement) }
    }

    package func insert(id: String, document: [UInt8], state: TaskLifecycle.State, summary: TaskSummary) async throws
        -> (TaskRecord, created: Bool)
    {
        try await self.lock.withLock {
            if let existing = try await self.unlockedRecord(id) { return (existing, false) }
            let now = DocumentReader.formatTimestamp(Date())
            try await self.transaction {
                _ = try await self.connection.query(
                    "INSERT INTO tasks (id, document, state, received_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                    [.text(id), .blob(ByteBuffer(bytes: document)), .text(state.rawValue), .text(now), .text(now)])
                try await self.unlockedIndex(id, summary)
            }
            return (TaskRecord(id: id, document: document, state: state, receivedAt: now), true)
        }
    }

    package func record(_ id: String) async throws -> TaskRecord? {
        try await self.lock.withLock { try await self.unlockedRecord(id) }
    }

    package func page(member: String, after: String?, limit: Int) async throws -> [TaskListing]? {
        try await self.lock.withLock {
            var from: Int = 0
            if let after {
                guard
                    let seq = try await self.connection.query(
                        "SELECT seq FROM task_parties WHERE member = ? AND task = ?", [.text(member), .text(after)]
                    ).first?.column("seq")?.integer
                else { return nil }
                from = seq
            }
            return try await self.connection.query(
                """
                SELECT t.id, t.cts_id, t.title, t.state FROM task_parties p JOIN tasks t ON t.id = p.task
                WHERE p.member = ? AND p.seq > ? ORDER BY p.seq LIMIT ?
                """,
                [.text(member), .integer(from), .integer(limit)]
            ).map { row in
                TaskListing(
                    id: row.column("id")?.string ?? "", ctsID: row.column("cts_id")?.string ?? "",
                    title: row.column("title")?.string ?? "",
                    state: row.column("state")?.string.flatMap(TaskLifecycle.State.init(rawValue:)) ?? .draft)
            }
        }
    }

    package func records(in states: [TaskLifecycle.State]) async throws -> [TaskRecord] {
        guard !states.isEmpty else { return [] }
        return try await self.lock.withLock {
            try await self.connection.query(
                """
                SELECT id, document, state, received_at FROM tasks
                WHERE state IN (\(states.map { _ in "?" }.joined(separator: ", "))) ORDER BY rowid
                """,
                states.map { .text($0.rawValue) }
            ).map(Self.record)
        }
    }

    package func due(at now: Date) async throws -> [TaskRecord] {
        let groups: [(String, [TaskLifecycle.State])] = [
            ("inputs_deadline", TaskLifecycle.State.beforeInputsDeadline),
            ("compute_deadline", TaskLifecycle.State.beforeComputeDeadline),
            ("outputs_deadline", TaskLifecycle.State.beforeOutputsDeadline),
        ]
        let condition = groups.map { column, states in
            "(state IN (\(states.map { _ in "?" }.joined(separator: ", "))) AND \(column) <= ?)"
        }.joined(separator: " OR ")
        let time = SQLiteData.text(DocumentReader.formatTimestamp(now))
        let bindings = groups.flatMap { _, states in states.map { SQLiteData.text($0.rawValue) } + [time] }
        return try await self.lock.withLock {
            try await self.connection.query(
                "SELECT id, document, state, received_at FROM tasks WHERE \(condition) ORDER BY rowid", bindings
            ).map(Self.record)
        }
    }

    package func stateCounts() async throws -> [TaskLifecycle.State: Int] {
        try await self.lock.withLock {
            var counts: [TaskLifecycle.State: Int] = [:]
            for row in try await self.connection.query("SELECT state, COUNT(*) AS n FROM tasks GROUP BY state") {
                guard let state = row.column("state")?.string.flatMap(TaskLifecycle.State.init(rawValue:)) else {
                    continue
                }
                counts[state] = row.column("n")?.integer ?? 0
            }
            return counts
        }
    }

    package func unindexed() async throws -> [TaskRecord] {
        try await self.lock.withLock {
            try await self.connection.query(
                "SELECT id, document, state, received_at FROM tasks WHERE cts_id IS NULL ORDER BY rowid"
            ).map(Self.record)
        }
    }

    package func index(_ id: String, _ summary: TaskSummary) async throws {
        try await self.lock.withLock {
            try await self.transaction { try await self.unlockedIndex(id, summary) }
        }
    }

    private func unlockedIndex(_ id: String, _ summary: TaskSummary) async throws {
        _ = try await self.connection.query(
            """
            UPDATE tasks SET cts_id = ?, title = ?, inputs_deadline = ?, compute_deadline = ?, outputs_deadline = ?
            WHERE id = ?
            """,
            [.text(summary.ctsID), .text(summary.title)] + summary.storedDeadlines.map { $0.map { .text($0) } ?? .null }
                + [.text(id)])
        for member in summary.members {
            _ = try await self.connection.query(
                "INSERT OR IGNORE INTO task_parties (member, seq, task) SELECT ?, rowid, id FROM tasks WHERE id = ?",
                [.text(member), .text(id)])
        }
    }

    /// Runs `body` in one SQLite transaction (the caller holds the lock): all of it is stored, or none.
    private func transaction(_ body: () async throws -> Void) async throws {
        try await self.connection.immediateTransaction(body)
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
                "SELECT 1 FROM uploads WHERE task = ? AND input_table = ? AND member = ? AND batch = ?",
                [.text(task), .text(upload.table), .text(upload.member), .text(upload.batch)])
            guard existing.isEmpty else { return false }
            _ = try await self.connection.query(
                """
                INSERT INTO uploads (task, input_table, member, rows, batch, final, sha256, received_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(task), .text(upload.table), .text(upload.member), .integer(upload.rows), .text(upload.batch),
                    .integer(upload.final ? 1 : 0), .text(upload.sha256), .text(upload.receivedAt),
                ]
            )
            return true
        }
    }

    package func uploads(task: String) async throws -> [TaskUpload] {
        try await self.lock.withLock {
            try await self.connection.query(
                """
                SELECT input_table, member, rows, batch, final, sha256, received_at FROM uploads WHERE task = ?
                ORDER BY input_table, member, batch
                """,
                [.text(task)]
            ).map {
                TaskUpload(
                    table: $0.column("input_table")?.string ?? "", member: $0.column("member")?.string ?? "",
                    rows: $0.column("rows")?.integer ?? 0, batch: $0.column("batch")?.string ?? "",
                    final: ($0.column("final")?.integer ?? 1) != 0,
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
