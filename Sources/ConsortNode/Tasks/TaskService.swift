import ConsortAudit
import ConsortMPC
import ConsortPKI
import ConsortQuery
import ConsortSpec
import Foundation
import Logging

/// A computing-party node's enforcement of task submission (docs/architecture.md §2): a CTS is accepted only when its signatures
/// are complete and valid under the operator root and the directory's roles, this node is one of its computing
/// parties, the engine is supported, the query type-checks and the input deadline is ahead. Every submission and its
/// outcome go to the audit log.
package struct TaskService: Sendable {
    package let node: NodeConfiguration.Loaded
    package let tasks: any TaskStore
    package let log: AuditLog
    /// The node's data directory (task inputs and results).
    package let dataDirectory: String
    /// The computations under way, run as child tasks of a service.
    package let computations: ComputationRunner
    /// When this node last checkpointed its log.
    let checkpoints = CheckpointSchedule()
    /// What this node last countersigned of each other computing party's log.
    package let witnessRecords = WitnessRecords()
    /// Audit entries raised where nothing can await an append (TLS handshake callbacks, the MPC listener).
    package let audits: AuditQueue
    /// The MPC listener every session of this node takes its peers' connections on.
    package let mpc: MPCListenerService
    /// Refusals anyone can cause (handshakes, connection limits), audited without letting a flood grow the log.
    package let refusals: RefusalDigest
    /// Who may call what.
    package let policy = AccessPolicy.builtIn
    /// Uploads are recorded one at a time, so a table's row total is checked against what is recorded.
    let uploadCommits = AsyncLock()
    package let logger: Logger

    package init(
        node: NodeConfiguration.Loaded, tasks: any TaskStore, log: AuditLog, dataDirectory: String, audits: AuditQueue,
        computations: ComputationRunner, logger: Logger
    ) {
        self.node = node
        self.tasks = tasks
        self.log = log
        self.dataDirectory = dataDirectory
        self.audits = audits
        self.refusals = RefusalDigest(audits: audits)
        self.mpc = MPCListenerService(
            node: node, audits: audits, refusals: self.refusals, system: Self.system(of: node)
        ) { session, party, peer in
            await Self.seatRefusal(session: session, party: party, peer: peer, tasks: tasks, audits: audits)
        }
        self.computations = computations
        self.logger = logger
    }

    package struct Outcome: Sendable {
        package var task: String
        package var state: TaskLifecycle.State
        package var created: Bool
    }

    /// Roles of every member the directory lists: the authority on who may sign for what.
    var memberRoles: [MemberID: Set<MemberRole>] {
        Dictionary(uniqueKeysWithValues: self.node.directory.members.map { ($0.id, $0.roles) })
    }

    package func submit(_ bytes: [UInt8], by caller: VerifiedIdentity, now: Date = Date()) async throws -> Outcome {
        let actor = Self.actor(caller)
        let document: SpecificationDocument
        do { document = try SpecificationDocument(bytes: bytes) } catch {
            try await self.refuse(actor, task: nil, NodeError(.invalidRequest, "the body is not a CTS: \(error)"))
        }
        let task = document.taskID
        _ = try await self.log.append(try AuditDraft(actor: actor, action: .ctsReceived, taskID: task))
        do {
            guard let jws = document.jws else {
                throw NodeError(.invalidRequest, "the CTS is not signed: submit the JWS with every member's signature")
            }
            // Kind and roles first (cheap); the task relation once the CTS is verified.
            try self.authorize(.taskSubmit, caller, ignoringRelation: true)
            let report = await SpecificationVerifier(
                certificates: self.node.verifier, members: self.memberRoles, engines: EngineRegistry.shared
            )
            .verify(jws, at: now)
            do { try report.requireValid(complete: true) } catch let error as SpecError {
                throw NodeError(.invalidRequest, "\(error)")
            }
            guard let cts = report.specification else {
                throw NodeError(.invalidRequest, "the signed payload is not a CTS")
            }
            let problems = report.diagnostics.filter { $0.severity == .error }
            guard problems.isEmpty else {
                throw NodeError(
                    .invalidRequest, "the CTS is invalid: " + problems.map { "\($0)" }.joined(separator: "; "))
            }
            try self.authorize(.taskSubmit, caller, task: cts)
            guard cts.parties.computing.contains(self.node.member) else {
                throw NodeError(
                    .forbidden,
                    "\(self.node.member) is not a computing party of task \(cts.id): submit it to its computing parties"
                )
            }
            do { _ = try await QueryAdmission.admit(cts) } catch let error as QueryError {
                throw NodeError(.invalidRequest, "the query is rejected: \(error)")
            }
            guard cts.deadlines.inputs > now else {
                throw NodeError(
                    .deadlinePassed,
                    "the input deadline \(DocumentReader.formatTimestamp(cts.deadlines.inputs)) has passed")
            }
            // The signatures are complete (signed) and this computing party accepts the task.
            let signed = try TaskLifecycle.next(after: .draft, on: .signaturesCompleted, by: .system)
            let accepted = try TaskLifecycle.next(after: signed, on: .acceptedByComputingParties, by: .computingParty)
            let (record, created) = try await self.tasks.insert(
                id: task, document: bytes, state: accepted, summary: TaskSummary(cts))
            if created {
                _ = try await self.log.append(
                    try AuditDraft(
                        actor: actor, action: .ctsAccepted, taskID: task,
                        details: ["id": .string(cts.id), "state": .string(record.state.rawValue)]))
            }
            return Outcome(task: task, state: record.state, created: created)
        } catch let error as NodeError {
            try await self.refuse(actor, task: task, error)
        }
    }

    /// A task's state, for members of that task (others are told it does not exist).
    package func status(_ task: String, for caller: VerifiedIdentity) async throws -> (
        TaskRecord, ComputationTaskSpecification
    ) {
        guard let record = try await self.tasks.record(task),
            let cts = try SpecificationDocument(bytes: record.document).storedSpecification(),
            (try? self.authorize(.taskRead, caller, task: cts)) != nil
        else {
            let actor = Self.actor(caller)
            try await self.refuse(
                actor, task: nil,
                NodeError(.notFound, "no task \(task) that \(caller.memberID.map { "\($0)" } ?? "you") may see"))
        }
        return (record, cts)
    }

    /// A signed halt (`halt/1` JWS by a signer of a `mayHalt` member) stops a live task: its data on this node is
    /// deleted and it never releases output.
    package func halt(_ bytes: [UInt8], task: String, by caller: VerifiedIdentity, now: Date = Date()) async throws
        -> TaskLifecycle.State
    {
        let actor = Self.actor(caller)
        let (_, cts) = try await self.status(task, for: caller)
        do {
            try self.authorize(.taskHalt, caller, task: cts)
            let jws: MultiSignatureJWS
            do { jws = try MultiSignatureJWS(parsing: bytes) } catch {
                throw NodeError(.invalidRequest, "the halt is not a signed statement: \(error)")
            }
            let result = await SpecificationVerifier(certificates: self.node.verifier, members: self.memberRoles)
                .verifyStatement(jws, at: now)
            guard result.isValid, let signer = result.member else {
                throw NodeError(
                    .invalidRequest,
                    "the halt's signature is not acceptable: \(result.problem.map { "\($0)" } ?? "unknown problem")")
            }
            let statement: JSONValue
            do { statement = try StrictJSONReader().parse(jws.payload) } catch {
                throw NodeError(.invalidRequest, "the halt's statement is not acceptable JSON: \(error)")
            }
            guard statement["consort"]?.stringValue == "halt/1", statement["task"]?.stringValue == task,
                let reason = statement["reason"]?.stringValue, (1...1000).contains(reason.count)
            else {
                throw NodeError(
                    .invalidRequest,
                    "the halt must be {\"consort\": \"halt/1\", \"task\": \"\(task)\", \"reason\": \"...\"}")
            }
            guard cts.parties.mayHalt.contains(signer) else {
                throw NodeError(
                    .forbidden,
                    "\(signer) may not halt task \(cts.id) (mayHalt: \(cts.parties.mayHalt.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            guard try await self.advance(task, on: .halt, by: .haltAuthority) != nil else {
                throw NodeError(.conflict, "task \(cts.id) is no longer live: it cannot be halted")
            }
            _ = try await self.log.append(
                try AuditDraft(
                    actor: actor, action: .taskHalted, taskID: task,
                    details: ["by": .string(signer.rawValue), "reason": .string(reason)]))
            // A halted computation stops now, on every node (the peers see the abort).
            self.computations.abort(task, MPCError(.cancelled, "task halted by \(signer)"))
            try await self.purge(task, .everything, because: "the task was halted")
            return .halted
        } catch let error as NodeError {
            try await self.refuse(actor, task: task, error)
        }
    }

    /// One page of the tasks of which the caller's member is a party (any role), in the order this node received
    /// them, from the index (no document is read): up to `limit` after the task `after`, and the task to continue
    /// after if there are more.
    package func list(for caller: VerifiedIdentity, after: String? = nil, limit: Int = 100) async throws -> (
        tasks: [TaskListing], next: String?
    ) {
        try await self.authorizeOrRefuse(.taskList, caller)
        guard let member = caller.memberID else { return ([], nil) }
        guard let page = try await self.tasks.page(member: member.rawValue, after: after, limit: limit + 1) else {
            throw NodeError(.invalidRequest, "after: \(after ?? "") is not a task in \(member)'s list")
        }
        return page.count > limit ? (Array(page.prefix(limit)), page[limit - 1].id) : (page, nil)
    }

    /// Checks an operation that concerns no task; a refusal is audited as `request.denied`.
    package func authorizeOrRefuse(_ operation: AccessPolicy.Operation, _ caller: VerifiedIdentity) async throws {
        do { try self.authorize(operation, caller) } catch let error as NodeError {
            try await self.refuse(
                Self.actor(caller), task: nil, NodeError(error.code, "\(error.message) (\(operation.rawValue))"))
        }
    }

    /// Checks the access policy for `caller` (see `Policies/access-policy.json`).
    package func authorize(
        _ operation: AccessPolicy.Operation, _ caller: VerifiedIdentity, task: ComputationTaskSpecification? = nil,
        table: String? = nil, ignoringRelation: Bool = false
    ) throws {
        try self.policy.authorize(
            operation, caller, directory: self.node.directory, node: self.node.member, task: task, table: table,
            ignoringRelation: ignoringRelation)
    }

    func refuse(_ actor: AuditActor, task: String?, _ error: NodeError) async throws -> Never {
        _ = try await self.log.append(
            try AuditDraft(
                actor: actor, action: task == nil ? .requestDenied : .ctsRejected, taskID: task,
                details: ["code": .string(error.code.description), "reason": .string(error.message)]))
        throw error
    }
}
