import ConsortClient
import ConsortMPC
import ConsortPKI
import ConsortSpec
import ConsortTransport
import Foundation

extension TaskService {
    /// Waits until every other computing party of the task has its inputs complete too (reports `computing`), so the
    /// session starts on all nodes within a poll of each other however far apart the last uploads reached them.
    ///
    /// Each node decides alone that its inputs are complete; without this a node whose last upload came more than the
    /// session's connect timeout after its peers' would find them gone, and the task aborted, for no fault of anyone.
    /// A peer still collecting inputs is waited for until the input deadline; a peer that reports the task ended, or
    /// that cannot be reached for `unreachableLimit` (it is down), fails the start, as a missing peer always has.
    func awaitPeersReady(
        _ task: String, _ cts: ComputationTaskSpecification, unreachableLimit: Duration
    ) async throws {
        let peers = try cts.parties.computing.filter { $0 != self.node.member }.map { member in
            guard let endpoint = self.node.directory.member(member)?.endpoint else {
                throw NodeError(.configuration, "the directory has no node endpoint for computing party \(member)")
            }
            return (member, endpoint)
        }
        let client = NodeClient(
            authentication: TLSPeerAuthentication(identity: self.node.identity, verifier: self.node.verifier))
        var waiting = Set(peers.map(\.0))
        var lastReached = [MemberID: ContinuousClock.Instant]()
        let started = ContinuousClock.now
        var pause = Duration.milliseconds(50)
        while true {
            let reports = await withTaskGroup(of: (MemberID, TaskLifecycle.State?).self) { group in
                for (member, endpoint) in peers where waiting.contains(member) {
                    group.addTask {
                        guard
                            let response = try? await client.request(
                                .get, "/v1/tasks/\(task)", to: endpoint, node: member, timeout: .seconds(10)),
                            response.status == 200,
                            let status = try? TaskStatusResponse.decode(Array(response.body.utf8)), status.task == task
                        else { return (member, nil) }
                        return (member, status.state)
                    }
                }
                return await group.reduce(into: [(MemberID, TaskLifecycle.State?)]()) { $0.append($1) }
            }.sorted { $0.0 < $1.0 }
            for (member, state) in reports {
                guard let state else {
                    if ContinuousClock.now - (lastReached[member] ?? started) > unreachableLimit {
                        throw MPCError(
                            .sessionSetup, "computing party \(member) could not be reached for \(unreachableLimit)")
                    }
                    continue
                }
                lastReached[member] = ContinuousClock.now
                switch state {
                case .computing, .resultsReady, .completed: waiting.remove(member)
                case .draft, .signed, .accepted, .collectingInputs: break
                case .purged, .halted, .expired, .aborted:
                    throw MPCError(.sessionSetup, "computing party \(member) reports the task \(state.rawValue)")
                }
            }
            if waiting.isEmpty { return }
            guard Date() <= cts.deadlines.inputs else {
                throw MPCError(
                    .sessionSetup,
                    "the inputs of computing part\(waiting.count == 1 ? "y" : "ies") \(waiting.sorted().map(\.rawValue).joined(separator: ", ")) were not complete by the input deadline"
                )
            }
            // A halt or abort that reached this node meanwhile ends the wait.
            guard try await self.tasks.record(task)?.state == .computing else {
                throw MPCError(.cancelled, "task \(task) ended while waiting for the other computing parties")
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(1))
        }
    }
}
