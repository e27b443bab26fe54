import ConsortAudit
import ConsortSpec
import Foundation
import Logging

/// The tasks a node knows: each signed CTS exactly as received, this node's lifecycle state, the uploads it took and
/// the output parties it released results to. In the node's store: an embedded SQLite file by default, PostgreSQL in
/// production (the same database as the audit trail).
package protocol TaskStore: Sendable {
    /// Stores a new task, indexed under each member that is a party of it, in one transaction; returns the existing
    /// record instead if the id is known (a resubmission changes nothing).
    func insert(id: String, document: [UInt8], state: TaskLifecycle.State, summary: TaskSummary) async throws -> (
        TaskRecord, created: Bool
    )
    func record(_ id: String) async throws -> TaskRecord?
    /// Up to `limit` of the tasks `member` is a party of, in the order this node received them, after the task
    /// `after` (from the first if nil); nil if `after` is not one of that member's tasks. Read from the index, not
    /// from the documents.
    func page(member: String, after: String?, limit: Int) async throws -> [TaskListing]?
    /// Every task in one of `states`, oldest first.
    func records(in states: [TaskLifecycle.State]) async throws -> [TaskRecord]
    /// The live tasks whose deadline for their state (inputs while collecting, compute while computing, outputs
    /// while results are out) is at or before `now`, to the second: what the deadline watcher must look at.
    func due(at now: Date) async throws -> [TaskRecord]
    /// How many tasks are in each state (states with none are left out).
    func stateCounts() async throws -> [TaskLifecycle.State: Int]
    /// Tasks stored before the index existed, and indexing one of them (done once, when the store is opened).
    func unindexed() async throws -> [TaskRecord]
    func index(_ id: String, _ summary: TaskSummary) async throws
    /// Records an upload; false if this member already uploaded this batch of this table.
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

/// What the task list shows of a task and who may see it, kept next to the document so that listing reads no CTS.
package struct TaskSummary: Sendable, Equatable {
    package var ctsID: String
    package var title: String
    /// Every member that is a party of the task (any role), sorted.
    package var members: [String]
    /// The CTS's deadlines, so that the deadline watcher reads only the tasks that are due (nil: never due).
    package var deadlines: ComputationTaskSpecification.Deadlines?

    package init(
        ctsID: String, title: String, members: [String], deadlines: ComputationTaskSpecification.Deadlines? = nil
    ) {
        self.ctsID = ctsID
        self.title = title
        self.members = Array(Set(members)).sorted()
        self.deadlines = deadlines
    }

    package init(_ cts: ComputationTaskSpecification) {
        self.init(
            ctsID: cts.id, title: cts.title, members: cts.parties.allMembers.map(\.rawValue), deadlines: cts.deadlines)
    }

    /// The deadlines as stored: ISO 8601 to the second, which sorts as text.
    var storedDeadlines: [String?] {
        [self.deadlines?.inputs, self.deadlines?.compute, self.deadlines?.outputs].map {
            $0.map(DocumentReader.formatTimestamp)
        }
    }
}

/// One line of a member's task list.
package struct TaskListing: Sendable, Equatable {
    package var id: String
    package var ctsID: String
    package var title: String
    package var state: TaskLifecycle.State

    package init(id: String, ctsID: String, title: String, state: TaskLifecycle.State) {
        self.id = id
        self.ctsID = ctsID
        self.title = title
        self.state = state
    }
}

/// One batch of an input party's rows of one table, uploaded to this node.
package struct TaskUpload: Sendable, Equatable {
    package var table: String
    package var member: String
    package var rows: Int
    package var batch: String
    /// Whether this is the party's last batch of the table: the node takes no other batch of it after this one.
    package var final: Bool
    /// SHA-256 (hex) of the uploaded body: names its share file, and tells a repeated upload from a different one.
    package var sha256: String
    /// When the node took it (the time on its receipt).
    package var receivedAt: String

    package init(
        table: String, member: String, rows: Int, batch: String, final: Bool = true, sha256: String, receivedAt: String
    ) {
        self.table = table
        self.member = member
        self.rows = rows
        self.batch = batch
        self.final = final
        self.sha256 = sha256
        self.receivedAt = receivedAt
    }

    /// Whether `other` fills the same slot: one upload per input party, table and batch.
    func isSameSlot(_ other: TaskUpload) -> Bool {
        self.member == other.member && self.table == other.table && self.batch == other.batch
    }

    /// Whether `other` is a batch of the same input party's rows of the same table.
    func isSameSource(_ other: TaskUpload) -> Bool { self.member == other.member && self.table == other.table }
}

extension TaskLifecycle.State {
    /// The live states, grouped by the deadline that applies in them (docs/architecture.md §2).
    static let beforeInputsDeadline: [Self] = [.accepted, .collectingInputs]
    static let beforeComputeDeadline: [Self] = [.computing]
    static let beforeOutputsDeadline: [Self] = [.resultsReady, .completed]
}

package enum TaskStores {
    /// The task store that goes with a node's store address: `DATA/tasks.db` next to an SQLite audit trail, the same
    /// database for PostgreSQL.
    package static func open(
        _ address: AuditStores.Address, dataDirectory: String,
        logger: Logger = Logger(label: "consort.tasks")
    ) async throws -> any TaskStore {
        let store: any TaskStore
        switch address {
        case .sqlite: store = try await SQLiteTaskStore.open(path: "\(dataDirectory)/tasks.db", logger: logger)
        case .postgres(let url): store = try await PostgresTaskStore.open(url: url, logger: logger)
        }
        // Tasks a store took before it kept summaries: indexed once from their documents. A document that no longer
        // reads is indexed under no member (listed to nobody), as it was listed to nobody before.
        do {
            for record in try await store.unindexed() {
                let cts = try? SpecificationDocument(bytes: record.document).storedSpecification()
                try await store.index(
                    record.id, cts.map(TaskSummary.init) ?? TaskSummary(ctsID: "", title: "", members: []))
            }
        } catch {
            try? await store.close()
            throw error
        }
        return store
    }
}
