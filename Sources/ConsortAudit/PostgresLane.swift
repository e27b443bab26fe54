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
                    let result = try await body(connection)
                    await self.closeUnlessCurrent(connection)
                    return result
                } catch {
                    if connection.isClosed || (error as? PSQLError)?.code == .connectionError { self.drop(connection) }
                    await self.closeUnlessCurrent(connection)
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
        // After a timeout reset, an operation abandoned mid-connect and a new one can both get here: the lane keeps
        // the first usable connection, and the other is closed by its own operation when done (`closeUnlessCurrent`).
        self.current.withLock { current in
            if current == nil || current?.isClosed == true { current = connection }
        }
        return connection
    }

    /// A connection the lane no longer holds (dropped, or replaced after a reset) is closed by the operation that
    /// used it before it is released: PostgresNIO must never see an open connection deinitialised.
    private func closeUnlessCurrent(_ connection: PostgresConnection) async {
        guard self.current.withLock({ $0 !== connection }) else { return }
        try? await connection.close()
    }

    /// Forgets (and closes) the current connection, or only `connection` if it still is the current one; the next
    /// operation connects afresh.
    func drop(_ connection: PostgresConnection? = nil) {
        let dropped = self.current.withLock { current -> PostgresConnection? in
            guard let held = current, connection.map({ $0 === held }) ?? true else { return nil }
            current = nil
            return held
        }
        dropped?.close().whenComplete { _ in }
    }

    package func close() async {
        let connection = self.current.withLock { current -> PostgresConnection? in
            defer { current = nil }
            return current
        }
        try? await connection?.close()
    }
}
