import Foundation
import Logging

/// Opening an audit store from its address: `sqlite:PATH`, a plain path, or `postgres://user@host:port/db`.
package enum AuditStores {
    package enum Address: Sendable, Hashable, CustomStringConvertible {
        case sqlite(path: String)
        case postgres(url: String)

        package init(_ text: String) throws {
            if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
                _ = try PostgresAddress(text)
                self = .postgres(url: text)
            } else if text.hasPrefix("sqlite:") {
                let path = String(text.dropFirst("sqlite:".count))
                guard !path.isEmpty else {
                    throw AuditError(.invalidAddress, "'sqlite:' needs a file path, e.g. sqlite:data/audit.db")
                }
                self = .sqlite(path: path)
            } else if text.contains("://") {
                throw AuditError(
                    .invalidAddress,
                    "'\(PostgresAddress.redact(text))' is not a store address: use sqlite:PATH, a file path, or postgres://user@host:port/db"
                )
            } else {
                guard !text.isEmpty else { throw AuditError(.invalidAddress, "the store address is empty") }
                self = .sqlite(path: text)
            }
        }

        package var description: String {
            switch self {
            case .sqlite(let path): return "sqlite:\(path)"
            case .postgres(let url): return (try? PostgresAddress(url).redacted) ?? "postgres://(invalid)"
            }
        }
    }

    /// Opens the store, runs `body` with it, and closes it — for the PostgreSQL store, while its connection pool runs.
    package static func with<T: Sendable>(
        _ address: Address,
        logger: Logger = {
            var logger = Logger(label: "consort.audit")
            logger.logLevel =
                ProcessInfo.processInfo.environment["CONSORT_AUDIT_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) }
                ?? .warning
            return logger
        }(),
        _ body: @Sendable (any AuditStore) async throws -> T
    ) async throws -> T {
        switch address {
        case .sqlite(let path):
            let store = try await SQLiteAuditStore.open(path: path, logger: logger)
            do {
                let result = try await body(store)
                try await store.close()
                return result
            } catch {
                try? await store.close()
                throw error
            }
        case .postgres(let url):
            let store = try PostgresAuditStore(url: url, logger: logger)
            do {
                try await store.prepare()
                let result = try await body(store)
                try await store.close()
                return result
            } catch {
                try? await store.close()
                throw error
            }
        }
    }
}
