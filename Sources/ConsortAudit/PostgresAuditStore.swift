import ConsortPKI
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// The production audit store on PostgreSQL (postgres-nio). Every value is a bound parameter. Appends take a
/// transaction-scoped advisory lock, so writers in any number of processes chain onto one head; the primary key on
/// `seq` is the backstop against forks. A trigger refuses UPDATE, DELETE and TRUNCATE.
///
/// Writes and reads use separate connections (`PostgresLane`), each reconnected on demand; every operation has a
/// deadline, so a database that went away gives a clear error and a restarted one is used again at once.
package final class PostgresAuditStore: AuditStore {
    private let writer: PostgresLane
    private let reader: PostgresLane
    private let logger: Logger
    package let description: String

    /// Key of the advisory lock that serialises appends.
    static let appendLockKey: Int64 = 0x636F_6E73_6F72_7401  // "consort" + 1

    package init(url: String, logger: Logger = Logger(label: "consort.audit.postgres")) throws {
        let address = try PostgresAddress(url)
        let configuration = try address.configuration
        self.logger = logger
        self.description = address.redacted
        self.writer = PostgresLane(
            configuration: configuration, logger: logger, timeout: .seconds(15), name: address.redacted)
        self.reader = PostgresLane(
            configuration: configuration, logger: logger, timeout: .seconds(60), name: address.redacted)
    }

    /// Applies pending migrations: once, when the store is opened, so they get longer than an append (a first
    /// connection and DDL under fsync have taken over 15 s on a loaded machine).
    package func prepare() async throws {
        try await self.wrap(self.writer, "migrating", timeout: .seconds(120)) { connection in
            try await PostgresMigrations.apply(
                AuditSchema.postgres, component: AuditSchema.component, on: connection, logger: self.logger)
        }
    }

    package func append(
        _ drafts: [AuditDraft],
        seal: @escaping @Sendable (AuditHead, [AuditDraft]) throws -> [AuditEntry]
    ) async throws -> [AuditEntry] {
        guard !drafts.isEmpty else { return [] }
        // The deadline is for a server that stopped answering, so it grows with the batch: each entry is signed
        // and written inside it (10,000 entries have taken over 15 s on a loaded two-core machine).
        let timeout = Duration.seconds(15) + .milliseconds(5 * drafts.count)
        return try await self.wrap(self.writer, "appending", timeout: timeout) { connection in
            try await connection.withTransaction(logger: self.logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.appendLockKey))", logger: self.logger)
                let head = try await Self.head(on: connection, logger: self.logger)
                let entries = try seal(head, drafts)
                // One multi-row INSERT per batch: the SQL holds only placeholders, every value is bound.
                var bindings = PostgresBindings(capacity: entries.count * 11)
                var rows: [String] = []
                for (index, entry) in entries.enumerated() {
                    let base = index * 11
                    rows.append("(" + (1...11).map { "$\(base + $0)" }.joined(separator: ",") + ")")
                    bindings.append(entry.seq)
                    bindings.append(entry.time)
                    bindings.append(entry.node.rawValue)
                    bindings.append(entry.actor.fingerprint)
                    bindings.append(entry.actor.subject)
                    bindings.append(entry.action.rawValue)
                    bindings.append(entry.taskID)
                    bindings.append(entry.details)
                    bindings.append(ByteBuffer(bytes: entry.previousHash))
                    bindings.append(ByteBuffer(bytes: entry.entryHash))
                    bindings.append(ByteBuffer(bytes: entry.signature))
                }
                let sql = """
                    INSERT INTO audit_entries (seq, time, node, actor_fingerprint, actor_subject, action, task_id,
                        details, prev_hash, entry_hash, signature) VALUES
                    """ + rows.joined(separator: ",")
                try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: self.logger)
                return entries
            }
        }
    }

    package func head() async throws -> AuditHead {
        try await self.wrap(self.reader, "reading the head") { connection in
            try await Self.head(on: connection, logger: self.logger)
        }
    }

    private static func head(on connection: PostgresConnection, logger: Logger) async throws -> AuditHead {
        let rows = try await connection.query(
            "SELECT seq, entry_hash FROM audit_entries ORDER BY seq DESC LIMIT 1", logger: logger)
        for try await (seq, hash) in rows.decode((Int64, ByteBuffer).self) {
            return AuditHead(size: seq, hash: Array(buffer: hash))
        }
        return .empty
    }

    package func entries(from seq: Int64, limit: Int) async throws -> [AuditEntry] {
        try await self.wrap(self.reader, "reading entries") { connection in
            let rows = try await connection.query(
                """
                SELECT seq, time, node, actor_fingerprint, actor_subject, action, task_id, details, prev_hash, entry_hash,
                    signature FROM audit_entries WHERE seq >= \(seq) ORDER BY seq LIMIT \(limit)
                """,
                logger: self.logger
            )
            var entries: [AuditEntry] = []
            typealias Row = (
                Int64, String, String, String, String, String, String?, String, ByteBuffer, ByteBuffer, ByteBuffer
            )
            for try await row in rows.decode(Row.self) {
                guard let node = try? MemberID(row.2) else {
                    throw AuditError(.malformedEntry, "audit entry \(row.0) names an invalid node '\(row.2)'")
                }
                let (action, unknownAction) = AuditEntry.action(row.5)
                entries.append(
                    AuditEntry(
                        seq: row.0, time: row.1, node: node, actor: AuditActor(fingerprint: row.3, subject: row.4),
                        action: action,
                        taskID: row.6, details: row.7, previousHash: Array(buffer: row.8),
                        entryHash: Array(buffer: row.9),
                        signature: Array(buffer: row.10), unknownAction: unknownAction
                    ))
            }
            return entries
        }
    }

    package func store(_ checkpoint: AuditCheckpoint) async throws {
        try await self.wrap(self.writer, "storing a checkpoint") { connection in
            try await connection.withTransaction(logger: self.logger) { connection in
                try await connection.query(
                    """
                    INSERT INTO audit_checkpoints (node, size, root_hash, time, signature)
                    VALUES (\(checkpoint.node.rawValue), \(checkpoint.size), \(ByteBuffer(bytes: checkpoint.rootHash)),
                        \(checkpoint.time), \(ByteBuffer(bytes: checkpoint.signature)))
                    ON CONFLICT DO NOTHING
                    """,
                    logger: self.logger
                )
                var stored: [UInt8]? = nil
                for try await signature in try await connection.query(
                    "SELECT signature FROM audit_checkpoints WHERE node = \(checkpoint.node.rawValue) AND size = \(checkpoint.size)",
                    logger: self.logger
                ).decode(ByteBuffer.self) {
                    stored = Array(signature.readableBytesView)
                }
                guard stored == checkpoint.signature else {
                    throw AuditError(
                        .integrity,
                        "another checkpoint of \(checkpoint.node) at \(checkpoint.size) entries is stored: its countersignatures are not this one's"
                    )
                }
                for witness in checkpoint.witnesses {
                    try await connection.query(
                        """
                        INSERT INTO audit_witnesses (node, size, witness, time, signature, chain)
                        VALUES (\(checkpoint.node.rawValue), \(checkpoint.size), \(witness.witness.rawValue), \(witness.time),
                            \(ByteBuffer(bytes: witness.signature)), \(ByteBuffer(bytes: AuditSchema.packChain(witness.chain))))
                        ON CONFLICT DO NOTHING
                        """,
                        logger: self.logger
                    )
                }
            }
        }
    }

    package func checkpoints(of node: MemberID?) async throws -> [AuditCheckpoint] {
        try await self.wrap(self.reader, "reading checkpoints") { connection in
            let nodeFilter = node?.rawValue
            let witnessRows = try await connection.query(
                """
                SELECT node, size, witness, time, signature, chain FROM audit_witnesses
                WHERE \(nodeFilter)::text IS NULL OR node = \(nodeFilter) ORDER BY node, size, witness
                """,
                logger: self.logger
            )
            var witnesses: [String: [CheckpointWitness]] = [:]
            for try await row in witnessRows.decode((String, Int64, String, String, ByteBuffer, ByteBuffer).self) {
                guard let witness = try? MemberID(row.2) else {
                    throw AuditError(.malformedEntry, "a stored witness is unreadable")
                }
                witnesses["\(row.0)/\(row.1)", default: []].append(
                    CheckpointWitness(
                        witness: witness, time: row.3, signature: Array(buffer: row.4),
                        chain: try AuditSchema.unpackChain(Array(buffer: row.5)))
                )
            }
            let rows = try await connection.query(
                """
                SELECT node, size, root_hash, time, signature FROM audit_checkpoints
                WHERE \(nodeFilter)::text IS NULL OR node = \(nodeFilter) ORDER BY node, size
                """,
                logger: self.logger
            )
            var result: [AuditCheckpoint] = []
            for try await row in rows.decode((String, Int64, ByteBuffer, String, ByteBuffer).self) {
                guard let node = try? MemberID(row.0) else {
                    throw AuditError(.malformedEntry, "a stored checkpoint is unreadable")
                }
                result.append(
                    AuditCheckpoint(
                        node: node, size: row.1, rootHash: Array(buffer: row.2), time: row.3,
                        signature: Array(buffer: row.4), witnesses: witnesses["\(row.0)/\(row.1)"] ?? []))
            }
            return result
        }
    }

    package func close() async throws {
        await self.writer.close()
        await self.reader.close()
    }

    private func wrap<T: Sendable>(
        _ lane: PostgresLane,
        _ what: String,
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await lane.run(what, timeout: timeout, body)
        } catch let error as AuditError {
            throw error
        } catch let error as PSQLError {
            throw AuditError(
                .storage, "\(what) in the PostgreSQL audit store \(self.description) failed: \(error.reason)",
                underlying: error)
        } catch {
            throw AuditError(
                .storage, "\(what) in the PostgreSQL audit store \(self.description) failed: \(error)",
                underlying: error)
        }
    }
}

/// A parsed `postgres://user[:password]@host[:port]/database[?sslmode=MODE[&sslrootcert=FILE]]` address.
package struct PostgresAddress: Sendable, Hashable {
    /// libpq's `sslmode` values that Consort honours. `prefer` and `allow` (TLS only if the server offers it) are
    /// refused: a node either needs TLS to its database or it does not.
    package enum TLSMode: String, Sendable, Hashable {
        /// No TLS: the database is on a trusted network (the default).
        case disable
        /// TLS, without checking the server's certificate.
        case require
        /// TLS; the server's certificate must chain to `sslrootcert` (or the system's roots).
        case verifyCA = "verify-ca"
        /// As verify-ca, and the certificate must name the host.
        case verifyFull = "verify-full"
    }

    package var user: String
    package var password: String?
    package var host: String
    package var port: Int
    package var database: String
    package var tls: TLSMode
    package var rootCertificates: String?

    package init(_ text: String) throws {
        guard let components = URLComponents(string: text),
            ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, !host.isEmpty, let user = components.user, !user.isEmpty
        else {
            throw AuditError(
                .invalidAddress,
                "'\(Self.redact(text))' is not a PostgreSQL address: use postgres://user@host:port/database")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !database.isEmpty else {
            throw AuditError(
                .invalidAddress, "'\(Self.redact(text))' names no database: use postgres://user@host:port/database")
        }
        self.user = user
        self.password = components.password
        self.host = host
        self.port = components.port ?? 5432
        self.database = database
        self.tls = .disable
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw AuditError(
                        .invalidAddress,
                        "sslmode=\(item.value ?? "") is not supported: use disable, require, verify-ca or verify-full")
                }
                self.tls = mode
            case "sslrootcert":
                guard let file = item.value, !file.isEmpty else {
                    throw AuditError(.invalidAddress, "sslrootcert needs a file of PEM certificates")
                }
                self.rootCertificates = file
            default:
                throw AuditError(
                    .invalidAddress,
                    "'\(Self.redact(text))' has the parameter '\(item.name)': only sslmode and sslrootcert are understood"
                )
            }
        }
        if self.rootCertificates != nil, ![.verifyCA, .verifyFull].contains(self.tls) {
            throw AuditError(.invalidAddress, "sslrootcert is used only with sslmode=verify-ca or verify-full")
        }
    }

    /// postgres-nio's connection settings for this address, with TLS as `sslmode` says.
    package var configuration: PostgresConnection.Configuration {
        get throws {
            let tls: PostgresConnection.Configuration.TLS
            switch self.tls {
            case .disable:
                tls = .disable
            case .require, .verifyCA, .verifyFull:
                var settings = TLSConfiguration.makeClientConfiguration()
                settings.certificateVerification =
                    self.tls == .require ? .none : self.tls == .verifyCA ? .noHostnameVerification : .fullVerification
                if let file = self.rootCertificates { settings.trustRoots = .file(file) }
                do { tls = .require(try NIOSSLContext(configuration: settings)) } catch {
                    throw AuditError(
                        .invalidAddress,
                        "cannot set up TLS to PostgreSQL at \(self.host):\(self.port) (sslmode=\(self.tls.rawValue)): \(error)"
                    )
                }
            }
            var configuration = PostgresConnection.Configuration(
                host: self.host, port: self.port, username: self.user, password: self.password,
                database: self.database, tls: tls)
            configuration.options.connectTimeout = .seconds(5)
            return configuration
        }
    }

    /// The address without its password, for messages and logs.
    package var redacted: String { "postgres://\(self.user)@\(self.host):\(self.port)/\(self.database)" }

    static func redact(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? "(unparseable address)"
    }
}

extension PSQLError {
    /// Why a PostgreSQL operation failed, for messages: the server's message, or the error code with its cause (a
    /// refused TLS certificate, a refused connection) — PSQLError's own description hides both.
    package var reason: String {
        if let message = self.serverInfo?[.message] { return message }
        guard let underlying = self.underlying else { return "\(self.code)" }
        return "\(self.code) (\(underlying))"
    }
}
