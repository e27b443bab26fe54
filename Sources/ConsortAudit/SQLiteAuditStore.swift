import ConsortPKI
import Foundation
import Logging
import NIOCore
import SQLiteNIO

/// The embedded audit store: one SQLite file in WAL mode with `synchronous=FULL`, so an acknowledged append survives a
/// crash. Appends run under `BEGIN IMMEDIATE`, which serialises writers across processes; a second connection serves
/// reads without waiting for writers.
package final class SQLiteAuditStore: AuditStore {
    private let writer: SQLiteConnection
    private let reader: SQLiteConnection
    private let writeLock = AsyncLock()
    private let readLock = AsyncLock()
    package let path: String

    private init(path: String, writer: SQLiteConnection, reader: SQLiteConnection) {
        self.path = path
        self.writer = writer
        self.reader = reader
    }

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    package static func open(path: String, logger: Logger = Logger(label: "consort.audit.sqlite")) async throws
        -> SQLiteAuditStore
    {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            for connection in [writer, reader] {
                for pragma in [
                    "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=30000",
                    "PRAGMA foreign_keys=ON",
                ] {
                    _ = try await connection.query(pragma)
                }
            }
            let store = SQLiteAuditStore(path: path, writer: writer, reader: reader)
            try await store.migrate()
            return store
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(.storage, "cannot open the SQLite audit store '\(path)': \(error)", underlying: error)
        }
    }

    private func migrate() async throws {
        try await self.writeLock.withLock {
            try await self.transaction {
                _ = try await self.writer.query(
                    """
                    CREATE TABLE IF NOT EXISTS consort_migrations (
                        component TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL,
                        PRIMARY KEY (component, version))
                    """)
                let rows = try await self.writer.query(
                    "SELECT version FROM consort_migrations WHERE component = ?", [.text(AuditSchema.component)]
                )
                let applied = Set(rows.compactMap { $0.column("version")?.integer })
                for migration in AuditSchema.sqlite where !applied.contains(migration.version) {
                    for statement in migration.statements { _ = try await self.writer.query(statement) }
                    _ = try await self.writer.query(
                        "INSERT INTO consort_migrations (component, version, applied_at) VALUES (?, ?, ?)",
                        [.text(AuditSchema.component), .integer(migration.version), .text(AuditTime.now())]
                    )
                }
            }
        }
    }

    /// Runs `body` in an immediate (write-locked) transaction on the writer connection.
    private func transaction<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await self.writer.immediateTransaction(body)
    }

    package func append(
        _ drafts: [AuditDraft],
        seal: @escaping @Sendable (AuditHead, [AuditDraft]) throws -> [AuditEntry]
    ) async throws -> [AuditEntry] {
        guard !drafts.isEmpty else { return [] }
        do {
            return try await self.writeLock.withLock {
                try await self.transaction {
                    let head = try await Self.head(on: self.writer)
                    let entries = try seal(head, drafts)
                    // One multi-row INSERT per batch (a statement per row costs a thread-pool hop each).
                    var values: [SQLiteData] = []
                    values.reserveCapacity(entries.count * 11)
                    for entry in entries {
                        values += [
                            .integer(Int(entry.seq)), .text(entry.time), .text(entry.node.rawValue),
                            .text(entry.actor.fingerprint), .text(entry.actor.subject), .text(entry.action.rawValue),
                            entry.taskID.map { .text($0) } ?? .null, .text(entry.details),
                            Self.blob(entry.previousHash),
                            Self.blob(entry.entryHash), Self.blob(entry.signature),
                        ]
                    }
                    let rows = Array(repeating: "(?,?,?,?,?,?,?,?,?,?,?)", count: entries.count).joined(separator: ",")
                    _ = try await self.writer.query(
                        """
                        INSERT INTO audit_entries (seq, time, node, actor_fingerprint, actor_subject, action, task_id,
                            details, prev_hash, entry_hash, signature) VALUES
                        """ + rows,
                        values
                    )
                    return entries
                }
            }
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(
                .storage, "appending to the SQLite audit store '\(self.path)' failed: \(error)", underlying: error)
        }
    }

    package func head() async throws -> AuditHead {
        try await self.read { try await Self.head(on: self.reader) }
    }

    private static func head(on connection: SQLiteConnection) async throws -> AuditHead {
        let rows = try await connection.query("SELECT seq, entry_hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
        guard let row = rows.first else { return .empty }
        guard let seq = row.column("seq")?.integer, let hash = row.column("entry_hash")?.blob else {
            throw AuditError(.malformedEntry, "the last audit entry is unreadable")
        }
        return AuditHead(size: Int64(seq), hash: Array(buffer: hash))
    }

    package func entries(from seq: Int64, limit: Int) async throws -> [AuditEntry] {
        try await self.read {
            let rows = try await self.reader.query(
                """
                SELECT seq, time, node, actor_fingerprint, actor_subject, action, task_id, details, prev_hash, entry_hash,
                    signature FROM audit_entries WHERE seq >= ? ORDER BY seq LIMIT ?
                """,
                [.integer(Int(seq)), .integer(limit)]
            )
            return try rows.map(Self.entry)
        }
    }

    private static func entry(_ row: SQLiteRow) throws -> AuditEntry {
        guard let seq = row.column("seq")?.integer,
            let time = row.column("time")?.string,
            let nodeText = row.column("node")?.string, let node = try? MemberID(nodeText),
            let fingerprint = row.column("actor_fingerprint")?.string,
            let subject = row.column("actor_subject")?.string,
            let actionText = row.column("action")?.string,
            let details = row.column("details")?.string,
            let previous = row.column("prev_hash")?.blob,
            let hash = row.column("entry_hash")?.blob,
            let signature = row.column("signature")?.blob
        else {
            throw AuditError(
                .malformedEntry,
                "audit entry \(row.column("seq")?.integer.map(String.init) ?? "?") has a missing or malformed column")
        }
        let (action, unknownAction) = AuditEntry.action(actionText)
        return AuditEntry(
            seq: Int64(seq), time: time, node: node, actor: AuditActor(fingerprint: fingerprint, subject: subject),
            action: action, taskID: row.column("task_id")?.string, details: details,
            previousHash: Array(buffer: previous), entryHash: Array(buffer: hash), signature: Array(buffer: signature),
            unknownAction: unknownAction)
    }

    package func store(_ checkpoint: AuditCheckpoint) async throws {
        do {
            try await self.writeLock.withLock {
                try await self.transaction {
                    _ = try await self.writer.query(
                        "INSERT OR IGNORE INTO audit_checkpoints (node, size, root_hash, time, signature) VALUES (?, ?, ?, ?, ?)",
                        [
                            .text(checkpoint.node.rawValue), .integer(Int(checkpoint.size)),
                            Self.blob(checkpoint.rootHash),
                            .text(checkpoint.time), Self.blob(checkpoint.signature),
                        ]
                    )
                    let stored = try await self.writer.query(
                        "SELECT signature FROM audit_checkpoints WHERE node = ? AND size = ?",
                        [.text(checkpoint.node.rawValue), .integer(Int(checkpoint.size))]
                    ).first?.column("signature")?.blob
                    guard stored.map({ Array($0.readableBytesView) }) == checkpoint.signature else {
                        throw AuditError(
                            .integrity,
                            "another checkpoint of \(checkpoint.node) at \(checkpoint.size) entries is stored: its countersignatures are not this one's"
                        )
                    }
                    for witness in checkpoint.witnesses {
                        _ = try await self.writer.query(
                            "INSERT OR IGNORE INTO audit_witnesses (node, size, witness, time, signature, chain) VALUES (?, ?, ?, ?, ?, ?)",
                            [
                                .text(checkpoint.node.rawValue), .integer(Int(checkpoint.size)),
                                .text(witness.witness.rawValue),
                                .text(witness.time), Self.blob(witness.signature),
                                Self.blob(AuditSchema.packChain(witness.chain)),
                            ]
                        )
                    }
                }
            }
        } catch {
            throw AuditError(.storage, "storing a checkpoint in '\(self.path)' failed: \(error)", underlying: error)
        }
    }

    package func checkpoints(of node: MemberID?) async throws -> [AuditCheckpoint] {
        try await self.read {
            let filter = node.map { [SQLiteData.text($0.rawValue)] } ?? []
            let rows = try await self.reader.query(
                "SELECT node, size, root_hash, time, signature FROM audit_checkpoints"
                    + (node == nil ? "" : " WHERE node = ?") + " ORDER BY node, size",
                filter
            )
            let witnessRows = try await self.reader.query(
                "SELECT node, size, witness, time, signature, chain FROM audit_witnesses"
                    + (node == nil ? "" : " WHERE node = ?") + " ORDER BY node, size, witness",
                filter
            )
            var witnesses: [String: [CheckpointWitness]] = [:]
            for row in witnessRows {
                guard let nodeText = row.column("node")?.string, let size = row.column("size")?.integer,
                    let witness = row.column("witness")?.string.flatMap({ try? MemberID($0) }),
                    let time = row.column("time")?.string, let signature = row.column("signature")?.blob,
                    let chain = row.column("chain")?.blob
                else { throw AuditError(.malformedEntry, "a stored checkpoint witness is unreadable") }
                witnesses["\(nodeText)/\(size)", default: []].append(
                    CheckpointWitness(
                        witness: witness, time: time, signature: Array(buffer: signature),
                        chain: try AuditSchema.unpackChain(Array(buffer: chain)))
                )
            }
            return try rows.map { row in
                guard let nodeText = row.column("node")?.string, let node = try? MemberID(nodeText),
                    let size = row.column("size")?.integer, let root = row.column("root_hash")?.blob,
                    let time = row.column("time")?.string, let signature = row.column("signature")?.blob
                else { throw AuditError(.malformedEntry, "a stored checkpoint is unreadable") }
                return AuditCheckpoint(
                    node: node, size: Int64(size), rootHash: Array(buffer: root), time: time,
                    signature: Array(buffer: signature), witnesses: witnesses["\(nodeText)/\(size)"] ?? [])
            }
        }
    }

    package func close() async throws {
        try await self.writer.close()
        try await self.reader.close()
    }

    private func read<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await self.readLock.withLock(body)
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError(
                .storage, "reading the SQLite audit store '\(self.path)' failed: \(error)", underlying: error)
        }
    }

    private static func blob(_ bytes: [UInt8]) -> SQLiteData { .blob(ByteBuffer(bytes: bytes)) }
}
