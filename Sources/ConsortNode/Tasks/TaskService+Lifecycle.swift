import ConsortAudit
import ConsortClient
import ConsortMPC
import ConsortPKI
import ConsortSpec
import ConsortTransport
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

extension TaskService {
    /// The node itself, as the actor of what it does on its own (deadlines, retention, computation).
    var system: AuditActor { Self.system(of: self.node) }

    static func system(of node: NodeConfiguration.Loaded) -> AuditActor {
        AuditActor(
            fingerprint: VerifiedIdentity.fingerprint(of: node.identity.certificate),
            subject: "consort://\(node.member)/node")
    }

    /// What a purge deletes.
    enum PurgeScope: String {
        case inputs = "input shares"
        case everything = "all task data"
    }

    /// Deletes a task's data on this node and logs `data.purged`, saying what and why (nothing if there was none).
    func purge(_ task: String, _ scope: PurgeScope, because reason: String) async throws {
        let path = scope == .inputs ? "\(self.directory(task))/inputs" : self.directory(task)
        do {
            guard FileManager.default.fileExists(atPath: path) else { return }
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw NodeError(
                .internalFailure, "cannot delete \(scope.rawValue) of task \(task) at \(path): \(error)",
                underlying: error)
        }
        _ = try await self.log.append(
            try AuditDraft(
                actor: self.system, action: .dataPurged, taskID: task,
                details: ["what": .string(scope.rawValue), "reason": .string(reason)]))
    }

    /// Moves a task through the lifecycle (`TaskLifecycle`): from the state it is in now, by `event` caused by `actor`,
    /// if the lifecycle allows it (and, with `from`, only out of those states). The update is conditional on the state
    /// read, so two paths racing for one task cannot both move it. Returns the new state, or nil if the task is not
    /// where the event applies (another path moved it first, or it never was).
    func advance(
        _ task: String, on event: TaskLifecycle.Event, by actor: TaskLifecycle.Actor,
        from allowed: Set<TaskLifecycle.State>? = nil
    ) async throws -> TaskLifecycle.State? {
        for _ in 0..<8 {
            guard let state = try await self.tasks.record(task)?.state, allowed?.contains(state) ?? true,
                let next = try? TaskLifecycle.next(after: state, on: event, by: actor)
            else { return nil }
            if try await self.tasks.transition(task, from: [state], to: next) { return next }
        }
        return nil
    }

    /// At start-up: a computation this node was running when it stopped cannot resume (its peers have given up on it),
    /// so the task is aborted and its inputs purged.
    package func abortInterruptedComputations() async throws {
        for record in try await self.tasks.records(in: [.computing]) {
            guard try await self.advance(record.id, on: .abort, by: .system, from: [.computing]) != nil else {
                continue
            }
            _ = try await self.log.append(
                try AuditDraft(
                    actor: self.system, action: .computeAborted, taskID: record.id,
                    details: ["reason": .string("the node stopped during the computation")]))
            try await self.purge(record.id, .inputs, because: "the computation was aborted")
        }
    }

    /// One pass of the deadline rules (docs/architecture.md §2), for every task this node holds:
    /// - input deadline passed with inputs missing → `expired`, all task data purged;
    /// - compute deadline passed during the MPC → `expired`, the session cancelled (the peers stop too), inputs purged;
    /// - output deadline passed → results withdrawn: `completed`, then everything purged → `purged`.
    package func enforceDeadlines(now: Date = Date()) async throws {
        for record in try await self.tasks.due(at: now) {
            guard let cts = try? SpecificationDocument(bytes: record.document).storedSpecification() else { continue }
            let task = record.id
            let live = record.state
            if [.accepted, .collectingInputs].contains(live), now > cts.deadlines.inputs {
                guard
                    try await self.advance(task, on: .expire, by: .system, from: [.accepted, .collectingInputs]) != nil
                else { continue }
                let uploaded = Set(try await self.tasks.uploads(task: task).map { "\($0.member)/\($0.table)" })
                let missing = cts.parties.inputs.map { "\($0.member)/\($0.table)" }.filter { !uploaded.contains($0) }
                _ = try await self.log.append(
                    try AuditDraft(
                        actor: self.system, action: .taskExpired, taskID: task,
                        details: [
                            "deadline": .string("inputs"), "missing": .string(missing.joined(separator: ", ")),
                        ]))
                try await self.purge(task, .everything, because: "the task expired at its input deadline")
            } else if live == .computing, now > cts.deadlines.compute {
                guard try await self.advance(task, on: .expire, by: .system, from: [.computing]) != nil else {
                    continue
                }
                _ = try await self.log.append(
                    try AuditDraft(
                        actor: self.system, action: .taskExpired, taskID: task,
                        details: ["deadline": .string("compute")]))
                self.computations.abort(
                    task,
                    MPCError(
                        .cancelled,
                        "the compute deadline \(DocumentReader.formatTimestamp(cts.deadlines.compute)) passed"))
                // Also when the session was still being set up (nothing to abort yet): it then fails on the missing inputs.
                try await self.purge(task, .inputs, because: "the task expired at its compute deadline")
            } else if [.resultsReady, .completed].contains(live), now > cts.deadlines.outputs {
                if try await self.advance(task, on: .outputsDelivered, by: .system, from: [.resultsReady]) != nil {
                    try await self.logState(task, .completed, because: "the output deadline passed")
                }
                try await self.purge(task, .everything, because: "the output deadline passed")
                if try await self.advance(task, on: .purged, by: .system, from: [.completed]) != nil {
                    try await self.logState(task, .purged, because: "all task data deleted")
                }
            }
        }
    }

    /// One reconciliation pass (docs/architecture.md §2): asks the other computing parties of each live task how it
    /// stands there, and follows a halt reported by any of them, or an abort while this node has no results yet. A
    /// node that was down when a task ended elsewhere would otherwise keep it live and keep its inputs. Peers that
    /// cannot be reached are asked again next pass.
    package func reconcile() async throws {
        let live = try await self.tasks.records(in: [.accepted, .collectingInputs, .computing, .resultsReady])
        guard !live.isEmpty else { return }
        let client = NodeClient(
            authentication: TLSPeerAuthentication(identity: self.node.identity, verifier: self.node.verifier))
        for record in live {
            guard let cts = try? SpecificationDocument(bytes: record.document).storedSpecification() else { continue }
            let peers = cts.parties.computing.filter { $0 != self.node.member }.compactMap { id in
                self.node.directory.member(id)?.endpoint.map { (id, $0) }
            }
            let reports = await withTaskGroup(of: (MemberID, TaskLifecycle.State)?.self) { group in
                for (peer, endpoint) in peers {
                    group.addTask {
                        guard
                            let response = try? await client.request(
                                .get, "/v1/tasks/\(record.id)", to: endpoint, node: peer, timeout: .seconds(10)),
                            response.status == 200,
                            let status = try? TaskStatusResponse.decode(Array(response.body.utf8)),
                            status.task == record.id
                        else { return nil }
                        return (peer, status.state)
                    }
                }
                return await group.reduce(into: [(MemberID, TaskLifecycle.State)]()) {
                    if let report = $1 { $0.append(report) }
                }
            }.sorted { $0.0 < $1.0 }
            if let (peer, _) = reports.first(where: { $0.1 == .halted }) {
                guard try await self.advance(record.id, on: .halt, by: .computingParty) != nil else { continue }
                _ = try await self.log.append(
                    try AuditDraft(
                        actor: self.system, action: .taskHalted, taskID: record.id,
                        details: [
                            "reportedBy": .string(peer.rawValue),
                            "reason": .string("\(peer) reports the task halted (this node missed the halt)"),
                        ]))
                self.computations.abort(record.id, MPCError(.cancelled, "task halted (reported by \(peer))"))
                try await self.purge(record.id, .everything, because: "the task was halted")
            } else if let (peer, _) = reports.first(where: { $0.1 == .aborted }),
                try await self.advance(
                    record.id, on: .abort, by: .computingParty, from: [.accepted, .collectingInputs, .computing]) != nil
            {
                _ = try await self.log.append(
                    try AuditDraft(
                        actor: self.system, action: .computeAborted, taskID: record.id,
                        details: [
                            "reportedBy": .string(peer.rawValue),
                            "reason": .string("\(peer) reports the computation aborted (this node missed it)"),
                        ]))
                self.computations.abort(record.id, MPCError(.cancelled, "computation aborted (reported by \(peer))"))
                try await self.purge(record.id, .inputs, because: "the computation was aborted")
            }
        }
    }

    func logState(_ task: String, _ state: TaskLifecycle.State, because reason: String) async throws {
        _ = try await self.log.append(
            try AuditDraft(
                actor: self.system, action: .taskStateChanged, taskID: task,
                details: ["state": .string(state.rawValue), "reason": .string(reason)]))
    }
}

/// A background loop of the node, one pass every `interval` until graceful shutdown: the deadline watcher and the
/// checkpointer run as two of them, so that a slow peer (witnessing) never delays a deadline.
package struct NodeLoop: Service {
    let name: String
    let interval: Duration
    let logger: Logger
    let pass: @Sendable () async throws -> Void
    /// Run once after the last pass, at shutdown.
    var last: (@Sendable () async throws -> Void)? = nil
    /// Whether a pass under way is cancelled at graceful shutdown: yes for passes that wait on peers (a frozen peer
    /// would hold the shutdown for their timeouts), no for the deadline watcher's purges.
    var cancelledAtShutdown = false

    /// Enforces deadlines and retention.
    package static func deadlines(_ service: TaskService, every interval: Duration, logger: Logger) -> NodeLoop {
        NodeLoop(name: "deadline pass", interval: interval, logger: logger) { try await service.enforceDeadlines() }
    }

    /// Checkpoints the audit log, countersigned by the other computing parties, at most every `checkpointInterval`.
    package static func checkpoints(_ service: TaskService, every checkpointInterval: Duration, logger: Logger)
        -> NodeLoop
    {
        NodeLoop(
            name: "checkpoint", interval: .seconds(1), logger: logger,
            pass: { try await service.checkpointIfGrown(every: checkpointInterval) }, cancelledAtShutdown: true)
    }

    /// Reconciles live tasks with the other computing parties every `interval` (the first pass at start-up).
    package static func reconciliation(_ service: TaskService, every interval: Duration, logger: Logger) -> NodeLoop {
        NodeLoop(
            name: "reconciliation", interval: interval, logger: logger, pass: { try await service.reconcile() },
            cancelledAtShutdown: true)
    }

    package func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            // A store that is briefly unavailable must not stop the node; the next pass tries again.
            do {
                if self.cancelledAtShutdown {
                    try await cancelWhenGracefulShutdown { try await self.pass() }
                } else {
                    try await self.pass()
                }
            } catch {
                if !Task.isShuttingDownGracefully { self.logger.error("\(self.name) failed: \(error)") }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
        if let last = self.last {
            do { try await last() } catch { self.logger.error("\(self.name) failed at shutdown: \(error)") }
        }
    }
}
