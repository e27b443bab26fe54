import Foundation
import Logging
import PostgresNIO
import Testing

/// The PostgreSQL server of the test run (`scripts/test` starts a throwaway cluster and exports its address).
///
/// Under `scripts/test` (`CONSORT_REQUIRE_POSTGRES=1`) a missing server is an error, so PostgreSQL tests never skip
/// silently; elsewhere they are skipped.
package enum TestPostgres {
    package static var url: String? {
        ProcessInfo.processInfo.environment["CONSORT_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }
    package static var isRequired: Bool { ProcessInfo.processInfo.environment["CONSORT_REQUIRE_POSTGRES"] == "1" }

    /// For `.enabled(if:)`: whether PostgreSQL tests run. Under `scripts/test` they always do (and fail loudly if the
    /// server is missing); elsewhere, without a server, they show as skipped.
    package static var canRun: Bool { Self.url != nil || Self.isRequired }

    /// The reason a PostgreSQL test shows when skipped.
    package static let skipReason: Comment = "no PostgreSQL test server (scripts/test starts one)"

    /// The test server's URL; an error (never a skip) if it is missing.
    package static func requireURL() throws -> String {
        guard let url = Self.url else {
            throw TestEnvironment.Unavailable(
                description: "CONSORT_TEST_POSTGRES_URL is not set (scripts/test sets it)")
        }
        return url
    }

    /// Creates a fresh database (optionally a copy of `template`), runs `body` with its URL, then drops it.
    package static func withDatabase<T: Sendable>(template: String? = nil, _ body: (String) async throws -> T)
        async throws -> T
    {
        guard let url = Self.url, var components = URLComponents(string: url) else {
            throw TestEnvironment.Unavailable(description: "CONSORT_TEST_POSTGRES_URL is not set")
        }
        let name = "consort_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        if let template {
            // A pool that just closed may still hold a connection to the template for a moment.
            try await Self.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(template)'")
        }
        try await Self.admin("CREATE DATABASE \(name)" + (template.map { " TEMPLATE \($0)" } ?? ""))
        components.path = "/\(name)"
        do {
            let result = try await body(components.string!)
            try await Self.admin("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            return result
        } catch {
            try? await Self.admin("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
    }

    /// Runs SQL statements against the database at `url` (tests only: raw SQL to tamper as a DBA would).
    package static func execute(_ statements: [String], url: String) async throws {
        try await Self.withClient(url: url) { client in
            for statement in statements {
                try await client.query(PostgresQuery(unsafeSQL: statement))
            }
        }
    }

    /// Runs `body` with a client connected to `url`.
    package static func withClient<T: Sendable>(url: String, _ body: @Sendable (PostgresClient) async throws -> T)
        async throws -> T
    {
        guard let components = URLComponents(string: url), let host = components.host, let user = components.user else {
            throw TestEnvironment.Unavailable(description: "bad PostgreSQL URL \(url)")
        }
        let configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: String(components.path.dropFirst()), tls: .disable
        )
        let client = PostgresClient(
            configuration: configuration, backgroundLogger: Logger(label: "consort.test.postgres"))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await client.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    private static func admin(_ statement: String) async throws {
        guard let url = Self.url else { return }
        try await Self.execute([statement], url: url)
    }
}
