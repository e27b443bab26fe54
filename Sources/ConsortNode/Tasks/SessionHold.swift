import Foundation

/// A pause a test can put into an established MPC session (`CONSORT_TEST_HOLD_MPC_WHILE=PATH` in the node's
/// environment): after the build measurements are exchanged, the node waits while the file PATH exists (at most two
/// minutes), so that a fault the test injects before removing it (a partition, a kill, a frozen peer) lands
/// mid-session however fast the computation would otherwise be and however slowly a loaded machine lets the test
/// see the session start (a fixed pause of 12 s was once over before a loaded CI's test had seen it begin). Its
/// peers wait for its messages meanwhile (heartbeats keep the session alive). Unset in production.
enum SessionHold {
    static let path = ProcessInfo.processInfo.environment["CONSORT_TEST_HOLD_MPC_WHILE"]

    static func pause() async throws {
        guard let path = Self.path else { return }
        let deadline = ContinuousClock.now + .seconds(120)
        while FileManager.default.fileExists(atPath: path), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
