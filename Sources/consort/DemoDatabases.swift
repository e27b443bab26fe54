import ConsortAudit
import Foundation
import Logging
import NIOPosix
import PostgresNIO

/// `consort demo --database URL`: one fresh PostgreSQL database per node (each member keeps its own), created through
/// the server at URL and dropped afterwards unless the demo's files are kept.
struct DemoDatabases {
    let server: String
    let names: [String]

    /// Database names `consort_demo_<run>_<member>`, made only of [a-z0-9_] (they cannot be bound as parameters).
    init(server: String, members: [String]) throws {
        _ = try PostgresAddress(server)
        let run = UUID().uuidString.prefix(8).lowercased()
        self.server = server
        self.names = members.map { "consort_demo_\(run)_\($0.replacingOccurrences(of: "-", with: "_"))" }
    }

    /// The store address of each node's database.
    var urls: [String] {
        self.names.map { name in
            var components = URLComponents(string: self.server)!
            components.path = "/\(name)"
            return components.string!
        }
    }

    func create() async throws {
        try await self.run { connection, logger in
            for name in self.names {
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
            }
        }
    }

    func drop() async {
        try? await self.run { connection, logger in
            for name in self.names {
                try await connection.query(
                    PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger)
            }
        }
    }

    private func run(_ body: (PostgresConnection, Logger) async throws -> Void) async throws {
        let address = try PostgresAddress(self.server)
        let logger = Logger(label: "consort.demo.postgres")
        do {
            let connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: try address.configuration,
                id: 1, logger: logger)
            do {
                try await body(connection, logger)
                try await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
        } catch let error as PSQLError {
            throw CommandFailure(
                "PostgreSQL at \(address.redacted): \(error.serverInfo?[.message] ?? "\(error.code)") (the user needs CREATEDB)"
            )
        } catch {
            throw CommandFailure("PostgreSQL at \(address.redacted): \(error)")
        }
    }
}
