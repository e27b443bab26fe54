import Synchronization

/// Transports of any number of parties wired together in one process, for tests of protocol logic and in-process
/// runs. Messages are handed over without copying; a party can be cut off to test failure handling.
package final class InMemoryNetwork: Sendable {
    package let parties: Int
    /// links[from][to]
    let links: [[MessageQueue]]
    let sent: Mutex<[Int]>

    package init(parties: Int = 3) {
        precondition(parties >= 1, "a network needs at least one party")
        self.parties = parties
        self.links = (0..<parties).map { _ in (0..<parties).map { _ in MessageQueue() } }
        self.sent = Mutex([Int](repeating: 0, count: parties))
    }

    package func transport(for party: Int) -> InMemoryTransport {
        InMemoryTransport(party: party, network: self)
    }

    /// Cuts `party` off: every peer waiting on it, or later receiving from it, fails with `peerLost`.
    package func disconnect(_ party: Int) {
        for peer in 0..<self.parties where peer != party {
            self.links[party][peer].fail(MPCError(.peerLost, "computing party \(party) disconnected"))
            self.links[peer][party].fail(MPCError(.peerLost, "computing party \(peer) disconnected"))
        }
    }

    /// Bytes each party has sent so far.
    package var bytesSent: [Int] { self.sent.withLock { $0 } }
}

/// One party's end of an `InMemoryNetwork`.
package struct InMemoryTransport: MPCTransport {
    package let party: Int
    let network: InMemoryNetwork

    package var parties: Int { self.network.parties }

    package func send(_ words: [UInt64], to peer: Int) async throws {
        self.network.sent.withLock { $0[self.party] += words.count * 8 }
        self.network.links[self.party][peer].put(words)
    }

    package func receive(from peer: Int) async throws -> [UInt64] {
        try await self.network.links[peer][self.party].take()
    }

    /// Nothing to close: in-memory links stay readable after a party is done.
    package func finish() async throws {}
}
