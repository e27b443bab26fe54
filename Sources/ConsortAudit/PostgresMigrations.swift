import Logging
import PostgresNIO

/// Versioned schema migrations in PostgreSQL, shared by every component that keeps tables there (audit, tasks): each
/// version applied once, in order, recorded in `consort_migrations`, in one transaction under the advisory lock that
/// also serialises audit appends, so concurrent migrators and writers never interleave.
package enum PostgresMigrations {
    package typealias Migration = (version: Int, statements: [String])

    package static func apply(
        _ migrations: [Migration], component: String, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.withTransaction(logger: logger) { connection in
            try await connection.query(
                "SELECT pg_advisory_xact_lock(\(PostgresAuditStore.appendLockKey))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS consort_migrations (
                    component TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL,
                    PRIMARY KEY (component, version))
                """,
                logger: logger
            )
            var applied = Set<Int>()
            for try await version in try await connection.query(
                "SELECT version FROM consort_migrations WHERE component = \(component)", logger: logger
            ).decode(Int.self) { applied.insert(version) }
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO consort_migrations (component, version, applied_at) VALUES (\(component), \(migration.version), \(AuditTime.now()))",
                    logger: logger
                )
            }
        }
    }
}
