import ConsortMPC

/// Runs the three computing parties of a replicated session in one process over an `InMemoryNetwork`: the engine's
/// own tests work in ring words, as the protocol does.
enum MPCHarness {
    /// Runs `body` as each of the three parties concurrently and returns their results in party order.
    static func run<T: Sendable>(
        network: InMemoryNetwork = InMemoryNetwork(),
        _ body: @escaping @Sendable (inout Replicated3.Engine) async throws -> T
    ) async throws -> [T] {
        try await withThrowingTaskGroup(of: (Int, T).self) { group in
            for party in 0..<3 {
                group.addTask {
                    do {
                        var session = try await Replicated3.Engine.establish(transport: network.transport(for: party))
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
    static func shares(_ values: [UInt64]) -> [Replicated3.Share] { Replicated3.share(values).shares }

    /// Reconstructs the per-party shares returned by `run`.
    static func reveal(_ shares: [Replicated3.Share]) throws -> [UInt64] { try Replicated3.reconstruct(shares) }
}
