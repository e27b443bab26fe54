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
                configuration: address.configuration, logger: logger, timeout: .seconds(30),
                name: address.redacted),
            logger: logger, name: address.redacted)
        try await store.migrate()
        return store
    }

    private func migrate() async throws {
        try await self.run("migrating the task tables") { connection, logger in
            try await PostgresMigrations.apply(
                Self.migrations, component: Self.component, on: connection, logger: logger)
        }
    }

    package func insert(id: String, document: [UInt8], state: TaskLifecycle.State) async throws -> (
        TaskRecord, created: Bool
    ) {
        let now = Self.now()
        let created = try await self.run("storing task \(id)") { connection, logger in
            try await connection.query(
                """
                INSERT INTO consort_tasks (id, document, state, received_at, updated_at) VALUES (\(id), \(ByteBuffer(bytes: document)), \(state.rawValue), \(now), \(now))
                ON CONFLICT (id) DO NOTHING RETURNING 1
                """, logger: logger
            ).collect().count == 1
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

    package func all() async throws -> [TaskRecord] {
        try await self.records(
            "listing tasks", "SELECT id, document, state, received_at FROM consort_tasks ORDER BY received_at, id")
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
                INSERT INTO consort_uploads (task, input_table, member, rows, batch, sha256, received_at)
                VALUES (\(task), \(upload.table), \(upload.member), \(Int64(upload.rows)), \(upload.batch),
                        \(upload.sha256), \(upload.receivedAt))
                ON CONFLICT DO NOTHING RETURNING 1
                """, logger: logger
            ).collect().count == 1
        }
    }

    package func uploads(task: String) async throws -> [TaskUpload] {
        try await self.run("reading the uploads of task \(task)") { connection, logger in
            var uploads: [TaskUpload] = []
            for try await (table, member, rows, batch, sha256, receivedAt) in try await connection.query(
                """
                SELECT input_table, member, rows, batch, sha256, received_at FROM consort_uploads WHERE task = \(task)
                ORDER BY input_table, member
                """,
                logger: logger
            ).decode((String, String, Int64, String, String, String).self) {
                uploads.append(
                    TaskUpload(
                        table: table, member: member, rows: Int(rows), batch: batch, sha256: sha256,
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
        _ what: String, _ body: @escaping @Sendable (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        let logger = self.logger
        do {
            return try await self.lane.run(what) { try await body($0, logger) }
        } catch let error as NodeError {
            throw error
        } catch let error as PSQLError {
            throw NodeError(
                .internalFailure,
                "\(what) in the PostgreSQL task store \(self.name) failed: \(error.serverInfo?[.message] ?? "\(error.code)")",
                underlying: error)
        } catch {
            throw NodeError(
                .internalFailure, "\(what) in the PostgreSQL task store \(self.name) failed: \(error)",
                underlying: error)
        }
    }
}
