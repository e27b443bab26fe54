import ConsortAudit
import ConsortSpec
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The task store in PostgreSQL, in the node's store database next to the audit trail. Every value is a bound
/// parameter; state changes are single conditional UPDATEs, so they are atomic without a lock.
package final class PostgresTaskStore: TaskStore {
    private let lane: PostgresLane
    private let logger: Logger
    private let name: String

    static let component = "tasks"
    /// Versioned like the audit schema: applied once each, recorded in `consort_migrations`, never edited.
    static let migrations: [PostgresMigrations.Migration] = [
        (
            1,
            [
                """
                CREATE TABLE consort_tasks (
                    id TEXT PRIMARY KEY, document BYTEA NOT NULL, state TEXT NOT NULL, received_at TEXT NOT NULL, updated_at TEXT NOT NULL)
                """,
                """
                CREATE TABLE consort_uploads (
                    task TEXT NOT NULL REFERENCES consort_tasks (id), input_table TEXT NOT NULL, member TEXT NOT NULL,
                    rows BIGINT NOT NULL, batch TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (task, input_table, member))
                """,
                """
                CREATE TABLE consort_releases (
                    task TEXT NOT NULL REFERENCES consort_tasks (id), member TEXT NOT NULL, released_at TEXT NOT NULL, PRIMARY KEY (task, member))
                """,
            ]
        ),
        // Each upload's digest: names its share file and tells a repeated upload from a different one.
        (2, ["ALTER TABLE consort_uploads ADD COLUMN sha256 TEXT NOT NULL DEFAULT ''"]),
        // The task index: a member's tasks in the order received (`seq`), and what the list shows of each, so that
        // listing reads no document. cts_id is NULL until `TaskStores.open` indexes a task stored before.
        (
            3,
            [
                """
                ALTER TABLE consort_tasks ADD COLUMN seq BIGSERIAL, ADD COLUMN cts_id TEXT, ADD COLUMN title TEXT,
                    ADD COLUMN inputs_deadline TEXT, ADD COLUMN compute_deadline TEXT, ADD COLUMN outputs_deadline TEXT
                """,
                "CREATE UNIQUE INDEX consort_tasks_seq ON consort_tasks (seq)",
                "CREATE INDEX consort_tasks_state ON consort_tasks (state)",
                """
                CREATE TABLE consort_task_parties (
                    member TEXT NOT NULL, seq BIGINT NOT NULL, task TEXT NOT NULL REFERENCES consort_tasks (id),
                    PRIMARY KEY (member, seq))
                """,
            ]
        ),
        // A party may upload a table in several batches, the last marked final: uploads are keyed by batch too, and
        // every upload taken before was its party's only and so final batch.
        (
            4,
            [
                """
                ALTER TABLE consort_uploads ADD COLUMN final BOOLEAN NOT NULL DEFAULT TRUE,
                    DROP CONSTRAINT consort_uploads_pkey, ADD PRIMARY KEY (task, input_table, member, batch)
                """
            ]
        ),
    ]

    private init(lane: PostgresLane, logger: Logger, name: String) {
        self.lane = lane
        self.logger = logger
        self.name = name
    }

    package static func open(url: String, logger: Logger) async throws -> PostgresTaskStore {
        let address = try PostgresAddress(url)
        let store = PostgresTaskStore(
            lane: PostgresLane(
                configuration: try address.configuration, logger: logger, timeout: .seconds(30),
                name: address.redacted),
            logger: logger, name: address.redacted)
        try await store.migrate()
        return store
    }

    private func migrate() async throws {
        try await self.run("migrating the task tables", timeout: .seconds(120)) { connection, logger in
            try await PostgresMigrations.apply(
                Self.migrations, component: Self.component, on: connection, logger: logger)
        }
    }

    package func insert(id: String, document: [UInt8], state: TaskLifecycle.State, summary: TaskSummary) async throws
        -> (TaskRecord, created: Bool)
    {
        guard !summary.members.isEmpty else {
            throw NodeError(.internalFailure, "task \(id) has no parties to index it under")
        }
        let now = Self.now()
        let deadlines = summary.storedDeadlines
        // One statement, so the task and its index rows are stored together or not at all.
        let created = try await self.run("storing task \(id)") { connection, logger in
            try await connection.query(
                """
                WITH task AS (
                    INSERT INTO consort_tasks (
                        id, document, state, received_at, updated_at, cts_id, title, inputs_deadline, compute_deadline,
                        outputs_deadline)
                    VALUES (
                        \(id), \(ByteBuffer(bytes: document)), \(state.rawValue), \(now), \(now), \(summary.ctsID),
                        \(summary.title), \(deadlines[0]), \(deadlines[1]), \(deadlines[2]))
                    ON CONFLICT (id) DO NOTHING RETURNING id, seq)
                INSERT INTO consort_task_parties (member, seq, task)
                SELECT member, task.seq, task.id FROM task, unnest(\(summary.members)::text[]) AS member RETURNING 1
                """, logger: logger
            ).collect().count > 0
        }
        guard let record = try await self.record(id) else {
            throw NodeError(.internalFailure, "task \(id) vanished from \(self.name)")
        }
        return (record, created)
    }

    package func record(_ id: String) async throws -> TaskRecord? {
        try await self.records(
            "reading task \(id)", "SELECT id, document, state, received_at FROM consort_tasks WHERE id = \(id)"
        ).first
    }

    package func page(member: String, after: String?, limit: Int) async throws -> [TaskListing]? {
        try await self.run("listing the tasks of \(member)") { connection, logger in
            var from: Int64 = 0
            if let after {
                let rows = try await connection.query(
                    "SELECT seq FROM consort_task_parties WHERE member = \(member) AND task = \(after)", logger: logger
                ).decode(Int64.self)
                guard let seq = try await rows.first(where: { _ in true }) else { return nil }
                from = seq
            }
            var listing: [TaskListing] = []
            for try await (id, ctsID, title, state) in try await connection.query(
                """
                SELECT t.id, t.cts_id, t.title, t.state FROM consort_task_parties p JOIN consort_tasks t ON t.id = p.task
                WHERE p.member = \(member) AND p.seq > \(from) ORDER BY p.seq LIMIT \(Int64(limit))
                """, logger: logger
            ).decode((String, String?, String?, String).self) {
                guard let state = TaskLifecycle.State(rawValue: state) else {
                    throw NodeError(.internalFailure, "task \(id) has an unknown state '\(state)' in \(self.name)")
                }
                listing.append(TaskListing(id: id, ctsID: ctsID ?? "", title: title ?? "", state: state))
            }
            return listing
        }
    }

    package func records(in states: [TaskLifecycle.State]) async throws -> [TaskRecord] {
        try await self.records(
            "listing tasks by state",
            """
            SELECT id, document, state, received_at FROM consort_tasks WHERE state = ANY(\(states.map(\.rawValue)))
            ORDER BY seq
            """)
    }

    package func due(at now: Date) async throws -> [TaskRecord] {
        let time = DocumentReader.formatTimestamp(now)
        let (inputs, compute, outputs) = (
            TaskLifecycle.State.beforeInputsDeadline.map(\.rawValue),
            TaskLifecycle.State.beforeComputeDeadline.map(\.rawValue),
            TaskLifecycle.State.beforeOutputsDeadline.map(\.rawValue)
        )
        return try await self.records(
            "finding tasks past a deadline",
            """
            SELECT id, document, state, received_at FROM consort_tasks
            WHERE (state = ANY(\(inputs)) AND inputs_deadline COLLATE "C" <= \(time))
               OR (state = ANY(\(compute)) AND compute_deadline COLLATE "C" <= \(time))
               OR (state = ANY(\(outputs)) AND outputs_deadline COLLATE "C" <= \(time))
            ORDER BY seq
            """)
    }

    package func stateCounts() async throws -> [TaskLifecycle.State: Int] {
        try await self.run("counting tasks by state") { connection, logger in
            var counts: [TaskLifecycle.State: Int] = [:]
            for try await (state, count) in try await connection.query(
                "SELECT state, COUNT(*) FROM consort_tasks GROUP BY state", logger: logger
            ).decode((String, Int64).self) {
                if let state = TaskLifecycle.State(rawValue: state) { counts[state] = Int(count) }
            }
            return counts
        }
    }

    package func unindexed() async throws -> [TaskRecord] {
        try await self.records(
            "finding tasks to index",
            "SELECT id, document, state, received_at FROM consort_tasks WHERE cts_id IS NULL ORDER BY seq")
    }

    package func index(_ id: String, _ summary: TaskSummary) async throws {
        let deadlines = summary.storedDeadlines
        try await self.run("indexing task \(id)") { connection, logger in
            try await connection.query(
                """
                WITH task AS (
                    UPDATE consort_tasks SET cts_id = \(summary.ctsID), title = \(summary.title),
                        inputs_deadline = \(deadlines[0]), compute_deadline = \(deadlines[1]),
                        outputs_deadline = \(deadlines[2])
                    WHERE id = \(id) RETURNING id, seq)
                INSERT INTO consort_task_parties (member, seq, task)
                SELECT member, task.seq, task.id FROM task, unnest(\(summary.members)::text[]) AS member
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
    }

    private func records(_ what: String, _ query: PostgresQuery) async throws -> [TaskRecord] {
        try await self.run(what) { connection, logger in
            var records: [TaskRecord] = []
            for try await (id, document, state, receivedAt) in try await connection.query(query, logger: logger)
                .decode((String, ByteBuffer, String, String).self)
            {
                guard let state = TaskLifecycle.State(rawValue: state) else {
                    throw NodeError(.internalFailure, "task \(id) has an unknown state '\(state)' in \(self.name)")
                }
                records.append(
                    TaskRecord(
                        id: id, document: Array(document.readableBytesView), state: state, receivedAt: receivedAt))
            }
            return records
        }
    }

    package func recordUpload(task: String, _ upload: TaskUpload) async throws -> Bool {
        try await self.run("recording an upload to task \(task)") { connection, logger in
            try await connection.query(
                """
                INSERT INTO consort_uploads (task, input_table, member, rows, batch, final, sha256, received_at)
                VALUES (\(task), \(upload.table), \(upload.member), \(Int64(upload.rows)), \(upload.batch),
                        \(upload.final), \(upload.sha256), \(upload.receivedAt))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: logger
            ).collect().count == 1
        }
    }

    package func uploads(task: String) async throws -> [TaskUpload] {
        try await self.run("reading the uploads of task \(task)") { connection, logger in
            var uploads: [TaskUpload] = []
            for try await (table, member, rows, batch, final, sha256, receivedAt) in try await connection.query(
                """
                SELECT input_table, member, rows, batch, final, sha256, received_at FROM consort_uploads
                WHERE task = \(task) ORDER BY input_table, member, batch
                """,
                logger: logger
            ).decode((String, String, Int64, String, Bool, String, String).self) {
                uploads.append(
                    TaskUpload(
                        table: table, member: member, rows: Int(rows), batch: batch, final: final, sha256: sha256,
                        receivedAt: receivedAt))
            }
            return uploads
        }
    }

    package func transition(_ task: String, from: [TaskLifecycle.State], to state: TaskLifecycle.State) async throws
        -> Bool
    {
        let now = Self.now()
        return try await self.run("changing the state of task \(task)") { connection, logger in
            try await connection.query(
                "UPDATE consort_tasks SET state = \(state.rawValue), updated_at = \(now) WHERE id = \(task) AND state = ANY(\(from.map(\.rawValue))) RETURNING 1",
                logger: logger
            ).collect().count == 1
        }
    }

    package func recordRelease(task: String, member: String) async throws -> Set<String> {
        let now = Self.now()
        return try await self.run("recording an output release of task \(task)") { connection, logger in
            try await connection.query(
                "INSERT INTO consort_releases (task, member, released_at) VALUES (\(task), \(member), \(now)) ON CONFLICT DO NOTHING",
                logger: logger)
            var members = Set<String>()
            for try await member in try await connection.query(
                "SELECT member FROM consort_releases WHERE task = \(task)", logger: logger
            ).decode(String.self) {
                members.insert(member)
            }
            return members
        }
    }

    package func close() async throws { await self.lane.close() }

    private static func now() -> String { DocumentReader.formatTimestamp(Date()) }

    /// Runs `body` on the store's connection; database failures become a `NodeError` naming what failed.
    private func run<T: Sendable>(
        _ what: String, timeout: Duration? = nil,
        _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        let logger = self.logger
        do {
            return try await self.lane.run(what, timeout: timeout) { try await body($0, logger) }
        } catch let error as NodeError {
            throw error
        } catch let error as PSQLError {
            throw NodeError(
                .internalFailure,
                "\(what) in the PostgreSQL task store \(self.name) failed: \(error.reason)",
                underlying: error)
        } catch {
            throw NodeError(
                .internalFailure, "\(what) in the PostgreSQL task store \(self.name) failed: \(error)",
                underlying: error)
        }
    }
}
