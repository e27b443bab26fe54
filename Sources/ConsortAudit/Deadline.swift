import Synchronization

/// Runs `operation`, throwing `AuditError(.storage)` if it takes longer than `limit` — so a database that has gone
/// away makes callers fail with a clear error instead of waiting for ever.
///
/// The operation runs in its own task and is cancelled on timeout, but the caller does not wait for it to wind down:
/// a connection pool stuck in a connect attempt may ignore cancellation for a while, and the caller must not.
package func withDeadline<T: Sendable>(
    _ limit: Duration,
    _ what: @autoclosure () -> String,
    onTimeout: @escaping @Sendable () -> Void = {},
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let description = what()
    let outcome = Outcome<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            outcome.install(continuation)
            let timer = Task {
                try? await Task.sleep(for: limit)
                if outcome.finish(
                    .failure(
                        AuditError(
                            .storage, "\(description) did not finish within \(limit): is the database reachable?")))
                {
                    outcome.cancel()
                    onTimeout()
                }
            }
            let work = Task {
                do {
                    outcome.finish(.success(try await operation()))
                } catch {
                    outcome.finish(.failure(error))
                }
                timer.cancel()
            }
            outcome.setWork(work)
        }
    } onCancel: {
        outcome.cancel()
    }
}

/// The first result wins; later ones are dropped.
private final class Outcome<T: Sendable>: Sendable {
    private let state = Mutex<(CheckedContinuation<T, any Error>?, Task<Void, Never>?, Bool)>((nil, nil, false))

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        self.state.withLock { $0.0 = continuation }
    }

    func setWork(_ task: Task<Void, Never>) {
        let cancelled = self.state.withLock { state -> Bool in
            state.1 = task
            return state.2
        }
        if cancelled { task.cancel() }
    }

    @discardableResult
    func finish(_ result: Result<T, any Error>) -> Bool {
        let continuation = self.state.withLock { state -> CheckedContinuation<T, any Error>? in
            defer { state.0 = nil }
            return state.0
        }
        continuation?.resume(with: result)
        return continuation != nil
    }

    func cancel() {
        let task = self.state.withLock { state -> Task<Void, Never>? in
            state.2 = true
            return state.1
        }
        task?.cancel()
    }
}
