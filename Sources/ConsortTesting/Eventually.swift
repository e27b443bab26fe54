/// Waiting in integration tests for what other processes do.
package enum Eventually {
    /// Polls `condition` every 250 ms until it holds; throws `what` as `TestEnvironment.Unavailable` after `seconds`.
    package static func wait(
        _ what: String, within seconds: Int = 60, _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !(try await condition()) {
            guard ContinuousClock.now < deadline else { throw TestEnvironment.Unavailable(description: what) }
            try await Task.sleep(for: .milliseconds(250))
        }
    }
}
