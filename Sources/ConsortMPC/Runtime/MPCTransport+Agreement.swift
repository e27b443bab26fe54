extension MPCTransport {
    /// Checks that every party holds the same public value (e.g. a digest of the inputs they will compute on): each
    /// sends it to every peer, in one round; any difference aborts with a protocol violation. Engine-independent, so
    /// a node runs it before the engine's session starts.
    package func agree(on value: [UInt64], what: String) async throws {
        let received = try await self.exchangeWithEveryPeer(value)
        for (peer, words) in received where words != value {
            throw MPCError(.protocolViolation, "computing party \(peer) disagrees on \(what)")
        }
    }

    /// A barrier: returns once every peer has reached it too, e.g. to start a clock together.
    package func synchronize() async throws {
        _ = try await self.exchangeWithEveryPeer([0])
    }

    /// Sends `words` to every peer and receives one message from each, all at once.
    package func exchangeWithEveryPeer(_ words: [UInt64]) async throws -> [(Int, [UInt64])] {
        let peers = (0..<self.parties).filter { $0 != self.party }
        return try await withThrowingTaskGroup(of: (Int, [UInt64])?.self) { group in
            for peer in peers {
                group.addTask {
                    try await self.send(words, to: peer); return nil
                }
                group.addTask { (peer, try await self.receive(from: peer)) }
            }
            var received: [(Int, [UInt64])] = []
            for try await item in group { if let item { received.append(item) } }
            return received.sorted { $0.0 < $1.0 }
        }
    }
}
