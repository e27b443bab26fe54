import ConsortAudit
import ConsortSpec
import Foundation
import Logging

/// The tasks a node knows: each signed CTS exactly as received, this node's lifecycle state, the uploads it took and
/// the output parties it released results to. In the node's store: an embedded SQLite file by default, PostgreSQL in
/// production (the same database as the audit trail).
package protocol TaskStore: Sendable {
    /// Stores a new task; returns the existing record instead if the id is known (a resubmission changes nothing).
    func insert(id: String, document: [UInt8], state: TaskLifecycle.State) async throws -> (TaskRecord, created: Bool)
    func record(_ id: String) async throws -> TaskRecord?
    /// Every task, oldest first.
    func all() async throws -> [TaskRecord]
    /// Records an upload; false if this member already uploaded this table.
    func recordUpload(task: String, _ upload: TaskUpload) async throws -> Bool
    func uploads(task: String) async throws -> [TaskUpload]
    /// Moves a task to `state` if it is in one of `from`; false otherwise (someone else moved it first).
    func transition(_ task: String, from: [TaskLifecycle.State], to state: TaskLifecycle.State) async throws -> Bool
    /// Records that `member` fetched the task's output; returns every member that has.
    func recordRelease(task: String, member: String) async throws -> Set<String>
    func close() async throws
}

/// One task as a node keeps it.
package struct TaskRecord: Sendable, Equatable {
    package var id: String
    package var document: [UInt8]
    package var state: TaskLifecycle.State
    package var receivedAt: String
}

/// One input party's upload of one table to this node.
package struct TaskUpload: Sendable, Equatable {
    package var table: String
    package var member: String
    package var rows: Int
    package var batch: String
    /// SHA-256 (hex) of the uploaded body: names its share file, and tells a repeated upload from a different one.
    package var sha256: String
    /// When the node took it (the time on its receipt).
    package var receivedAt: String

    package init(table: String, member: String, rows: Int, batch: String, sha256: String, receivedAt: String) {
        self.table = table
        self.member = member
        self.rows = rows
        self.batch = batch
        self.sha256 = sha256
        self.receivedAt = receivedAt
    }

    /// Whether `other` fills the same slot: one upload per input party and table.
    func isSameSlot(_ other: TaskUpload) -> Bool { self.member == other.member && self.table == other.table }
}

package enum TaskStores {
    /// The task store that goes with a node's store address: `DATA/tasks.db` next to an SQLite audit trail, the same
    /// database for PostgreSQL.
    package static func open(
        _ address: AuditStores.Address, dataDirectory: String,
        logger: Logger = Logger(label: "consort.tasks")
    ) async throws -> any TaskStore {
        switch address {
        case .sqlite: return try await SQLiteTaskStore.open(path: "\(dataDirectory)/tasks.db", logger: logger)
        case .postgres(let url): return try await PostgresTaskStore.open(url: url, logger: logger)
        }
    }
}
