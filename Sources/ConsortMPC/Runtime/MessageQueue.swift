import Synchronization

/// Messages from one peer, in arrival order, with at most one waiting receiver. Once failed (peer lost, timeout,
/// session aborted), every waiting and later `take` throws that error.
package final class MessageQueue: Sendable {
    private struct State {
        var queue: [[UInt64]] = []
        var head = 0
        var waiter: CheckedContinuation<[UInt64], any Error>?
        var failure: MPCError?
    }

    private let state = Mutex(State())

    package init() {}

    package func put(_ words: [UInt64]) {
        let waiter = self.state.withLock { state -> CheckedContinuation<[UInt64], any Error>? in
            guard state.failure == nil else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.queue.append(words)
            return nil
        }
        waiter?.resume(returning: words)
    }

    /// The next message; cancelling the caller fails the queue (the session is being torn down).
    package func take() async throws -> [UInt64] {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let result = self.state.withLock { state -> Result<[UInt64], any Error>? in
                    if state.head < state.queue.count {
                        let message = state.queue[state.head]
                        state.queue[state.head] = []
                        state.head += 1
                        if state.head == state.queue.count {
                            state.queue.removeAll(keepingCapacity: true)
                            state.head = 0
                        }
                        return .success(message)
                    }
                    if let failure = state.failure { return .failure(failure) }
                    state.waiter = continuation
                    return nil
                }
                if let result { continuation.resume(with: result) }
            }
        } onCancel: {
            self.fail(MPCError(.peerLost, "the session was cancelled"))
        }
    }

    /// Fails the queue; the first failure wins.
    package func fail(_ error: MPCError) {
        let waiter = self.state.withLock { state -> CheckedContinuation<[UInt64], any Error>? in
            if state.failure == nil { state.failure = error }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: self.state.withLock { $0.failure! })
    }
}
