import ConsortMPC
import Synchronization

/// Waits until the expected peers have arrived (connected and said hello; or sent `end`); gives up at the timeout,
/// when failed, or when cancelled.
final class PartyBarrier: Sendable {
    private struct State {
        var remaining: Set<Int>
        var waiter: CheckedContinuation<Void, any Error>?
        var outcome: Result<Void, MPCError>?
    }

    private let state: Mutex<State>

    init(expected: Set<Int>) { self.state = Mutex(State(remaining: expected)) }

    func fail(_ error: MPCError) { self.finish(.failure(error)) }

    func arrived(_ party: Int) {
        let complete = self.state.withLock { state in
            state.remaining.remove(party)
            return state.remaining.isEmpty
        }
        if complete { self.finish(.success(())) }
    }

    private func finish(_ outcome: Result<Void, MPCError>) {
        let waiter = self.state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.outcome == nil { state.outcome = outcome }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: self.state.withLock { $0.outcome!.mapError { $0 as any Error } })
    }

    func wait(timeout: Duration, failing: @escaping @Sendable (_ missing: [Int]) -> MPCError) async throws {
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.finish(.failure(failing(self.state.withLock { $0.remaining.sorted() })))
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let outcome = self.state.withLock { state -> Result<Void, MPCError>? in
                    if state.outcome == nil { state.waiter = continuation }
                    return state.outcome
                }
                if let outcome { continuation.resume(with: outcome.mapError { $0 as any Error }) }
            }
        } onCancel: {
            self.finish(.failure(MPCError(.sessionSetup, "session setup was cancelled")))
        }
    }
}
