import Foundation

/// A pause a test can put into an established MPC session (`CONSORT_TEST_HOLD_MPC_SECONDS=N` in the node's
/// environment): after the build measurements are exchanged, the node waits N seconds before it computes, so that a
/// fault injected then (a partition, a kill, a frozen peer) lands mid-session however fast the computation would
/// otherwise be. Its peers wait for its messages meanwhile (heartbeats keep the session alive). Unset in production.
enum SessionHold {
    static let seconds = ProcessInfo.processInfo.environment["CONSORT_TEST_HOLD_MPC_SECONDS"].flatMap(Double.init)

    static func pause() async throws {
        guard let seconds = Self.seconds, seconds > 0 else { return }
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
    }
}
