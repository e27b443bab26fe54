import ConsortMPC

/// Runs the three computing parties of a session in one process over an `InMemoryNetwork`.
package enum MPCHarness {
    /// Runs `body` as each of the three parties concurrently and returns their results in party order.
    package static func run<T: Sendable>(
        fixedPoint: FixedPoint = .standard,
        network: InMemoryNetwork = InMemoryNetwork(),
        _ body: @escaping @Sendable (inout MPCSession) async throws -> T
    ) async throws -> [T] {
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            for party in 0..<3 {
                group.addTask {
                    do {
                        var session = try await MPCSession.establish(transport: network.transport(for: party), fixedPoint: fixedPoint)
                        return (party, try await body(&session))
                    } catch {
                        // As a real transport does: a party that aborts closes its channels, so its peers fail too.
                        network.disconnect(party)
                        throw error
                    }
                }
            }
            var results: [T?] = [nil, nil, nil]
            for try await (party, value) in group { results[party] = value }
            return results.map { $0! }
        }
    }

    /// Shares `values` as an input party would and hands each party its share.
    package static func shares(_ values: [UInt64]) -> [Replicated3.Share] { Replicated3.share(values).shares }

    /// Reconstructs the per-party shares returned by `run`.
    package static func reveal(_ shares: [Replicated3.Share]) throws -> [UInt64] { try Replicated3.reconstruct(shares) }
}
