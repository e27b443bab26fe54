import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// One PostgreSQL connection used by one operation at a time, (re)connected on demand.
///
/// The store keeps its own connections rather than a pool so that a server that crashes and restarts is always
/// reconnected on the next operation, and an operation stuck on a dead socket is cut off: on timeout the connection
/// is closed and the lane starts over with a fresh lock, so later operations never queue behind the stuck one (its
/// late completion is harmless: appends are serialised by the database's advisory lock, not by this lane).
package final class PostgresLane: Sendable {
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let lock = Mutex(AsyncLock())
    private let current = Mutex<PostgresConnection?>(nil)
    private let nextID = Atomic<Int>(1)
    let timeout: Duration
    let name: String

    package init(configuration: PostgresConnection.Configuration, logger: Logger, timeout: Duration, name: String) {
        self.configuration = configuration
        self.logger = logger
        self.timeout = timeout
        self.name = name
    }

    /// Runs `body` on the lane's connection, under the lane's lock and deadline (`timeout`, or the lane's).
    package func run<T: Sendable>(
        _ what: String, timeout: Duration? = nil, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let lock = self.lock.withLock { $0 }
        let reset: @Sendable () -> Void = {
            self.lock.withLock { $0 = AsyncLock() }
            self.drop()
        }
        return try await withDeadline(timeout ?? self.timeout, "\(what) in PostgreSQL \(self.name)", onTimeout: reset) {
            try await lock.withLock {
                let connection = try await self.connection()
                do {
                    return try await body(connection)
                } catch {
                    if connection.isClosed || (error as? PSQLError)?.code == .connectionError { self.drop() }
                    throw error
                }
            }
        }
    }

    private func connection() async throws -> PostgresConnection {
        if let connection = self.current.withLock({ $0 }), !connection.isClosed { return connection }
        let configuration = self.configuration
        let logger = self.logger
        let id = self.nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        // Bounded on its own: a connection attempt caught by a server crash mid-handshake can otherwise hang while
        // holding the lane.
        let connection = try await withDeadline(.seconds(10), "connecting to PostgreSQL \(self.name)") {
            try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: id, logger: logger
            )
        }
        self.current.withLock { $0 = connection }
        return connection
    }

    /// Forgets (and closes) the current connection; the next operation connects afresh.
    func drop() {
        let connection = self.current.withLock { current -> PostgresConnection? in
            defer { current = nil }
            return current
        }
        connection?.close().whenComplete { _ in }
    }

    package func close() async {
        let connection = self.current.withLock { current -> PostgresConnection? in
            defer { current = nil }
            return current
        }
        try? await connection?.close()
    }
}
