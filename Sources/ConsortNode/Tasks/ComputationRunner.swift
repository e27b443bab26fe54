import ConsortMPC
import ConsortTransport
import Logging
import ServiceLifecycle
import Synchronization

/// Runs the MPC computations of the node's tasks as child tasks of one service, so none outlives the node: a task
/// whose inputs are complete is handed over with `start`, and graceful shutdown cancels every session still running
/// (the peers are told, the tasks end aborted) and waits for them before the service returns. Keeps each running
/// session's transport so that a halt or a deadline can cut one off.
package final class ComputationRunner: Service {
    /// One computation: its task and the work to do.
    struct Job: Sendable {
        var task: String
        var work: @Sendable () async -> Void
    }

    private let stream: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation
    private let sessions = Mutex<(running: [String: MPCTLSTransport], stopping: MPCError?)>(([:], nil))

    package init() {
        (self.stream, self.continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Queues a computation; it starts at once unless the node is shutting down.
    func start(_ task: String, _ work: @escaping @Sendable () async -> Void) {
        self.continuation.yield(Job(task: task, work: work))
    }

    package func run() async throws {
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                for await job in self.stream {
                    // Shutdown cancels a computation still setting up its session (waiting for a peer) as well.
                    group.addTask { await cancelWhenGracefulShutdown { await job.work() } }
                }
            } onGracefulShutdown: {
                self.continuation.finish()
                self.abortAll(MPCError(.cancelled, "the node is shutting down"))
            }
        }
    }

    // MARK: Running sessions

    /// A session is up; if the node is already stopping, it is cut off at once.
    func started(_ task: String, _ transport: MPCTLSTransport) {
        let stopping = self.sessions.withLock { sessions in
            sessions.running[task] = transport
            return sessions.stopping
        }
        if let stopping { transport.abort(stopping) }
    }

    func ended(_ task: String) { _ = self.sessions.withLock { $0.running.removeValue(forKey: task) } }

    /// Fails the session's pending and later rounds with `error` and tells the peers (they abort too).
    func abort(_ task: String, _ error: MPCError) { self.sessions.withLock { $0.running[task] }?.abort(error) }

    private func abortAll(_ error: MPCError) {
        let running = self.sessions.withLock { sessions in
            sessions.stopping = error
            return Array(sessions.running.values)
        }
        for transport in running { transport.abort(error) }
    }
}
