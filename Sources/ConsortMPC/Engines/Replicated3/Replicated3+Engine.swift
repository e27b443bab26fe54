import Crypto

extension Replicated3 {
    /// One computing party's session of the replicated engine: its index, the transport to the other two, and the
    /// pairwise PRGs that give correlated randomness without communication.
    ///
    /// Keys: Kⱼ is shared by parties j−1 and j. Party i holds Kᵢ (`withPrevious`) and Kᵢ₊₁ (`withNext`). Random and zero
    /// sharings come from those streams; the parties stay in step because they run the same protocol in the same order.
    /// A session is driven by one task at a time (it is a value; protocol steps are `mutating`).
    package struct Engine: Sendable {
        package let party: Int
        package let transport: any MPCTransport
        var withPrevious: PRG
        var withNext: PRG
        /// Set for an actively secure session: what the distributed proofs check (`Verification/`).
        var verification: Replicated3.Verification?
        /// A test hook: the one way this party cheats (corruption tests, `bench mpc --corrupt`).
        package var deviation: Replicated3.Deviation?
        /// The most elements a shuffle permutes at once and a sort's level compares at once: memory, not security
        /// (the defaults are `Replicated3`'s; tests set them small to run the sliced paths).
        package var shuffleGroupElements = Replicated3.shuffleGroupElements
        package var comparisonSliceElements = Replicated3.comparisonSliceElements

        /// Rounds (exchanges) and bytes this party has sent, for benchmarks.
        package private(set) var rounds = 0
        package private(set) var bytesSent = 0

        package var next: Int { Replicated3.next(self.party) }
        package var previous: Int { Replicated3.previous(self.party) }

        /// Sets up a session: party i draws Kᵢ₊₁ from the CSPRNG, sends it to party i+1 over the (authenticated,
        /// encrypted) transport and receives Kᵢ from party i−1.
        package static func establish(transport: any MPCTransport) async throws -> Engine {
            guard transport.parties == Replicated3.parties else {
                throw MPCError(
                    .sessionSetup, "the replicated engine runs with three computing parties, not \(transport.parties)")
            }
            let party = transport.party
            let mine = PRG.randomKey()
            async let sent: Void = transport.send(PRG.words(of: mine), to: Replicated3.next(party))
            let received = try await transport.receive(from: Replicated3.previous(party))
            try await sent
            guard received.count == 2 else {
                throw MPCError(.sessionSetup, "party \(Replicated3.previous(party)) sent a malformed PRG key")
            }
            return Engine(
                party: party, transport: transport, withPrevious: PRG(key: PRG.key(words: received)),
                withNext: PRG(key: mine))
        }

        init(party: Int, transport: any MPCTransport, withPrevious: PRG, withNext: PRG) {
            self.party = party
            self.transport = transport
            self.withPrevious = withPrevious
            self.withNext = withNext
        }

        // MARK: Communication

        /// One round: sends to the neighbours that are given something, receives from those asked for. Sends and
        /// receives run concurrently so neither side's backpressure can deadlock the other.
        mutating func exchange(
            toPrevious: [UInt64]? = nil,
            toNext: [UInt64]? = nil,
            fromPrevious: Bool = false,
            fromNext: Bool = false
        ) async throws -> (previous: [UInt64]?, next: [UInt64]?) {
            self.rounds += 1
            self.bytesSent += ((toPrevious?.count ?? 0) + (toNext?.count ?? 0)) * 8
            let transport = self.transport
            let previous = self.previous
            let next = self.next
            async let sendPrevious: Void = {
                if let toPrevious { try await transport.send(toPrevious, to: previous) }
            }()
            async let sendNext: Void = { if let toNext { try await transport.send(toNext, to: next) } }()
            async let receivePrevious: [UInt64]? = fromPrevious ? transport.receive(from: previous) : nil
            async let receiveNext: [UInt64]? = fromNext ? transport.receive(from: next) : nil
            let result = (try await receivePrevious, try await receiveNext)
            try await sendPrevious
            try await sendNext
            return result
        }

        /// Checks a received message has the expected length (a peer running another protocol is a violation).
        func expect(_ words: [UInt64]?, count: Int, from peer: Int) throws -> [UInt64] {
            guard let words, words.count == count else {
                throw MPCError(
                    .protocolViolation, "party \(peer) sent \(words?.count ?? 0) elements where \(count) were expected",
                    suspects: [peer])
            }
            return words
        }

        // MARK: Correlated randomness

        /// A replicated sharing of a random vector nobody knows.
        mutating func randomShare(_ count: Int) -> Replicated3.Share {
            Replicated3.Share(mine: self.withPrevious.words(count), next: self.withNext.words(count))
        }

        /// The three element ranges used to rotate one-sided work over the parties, each a multiple of 64 long (except
        /// the last) so bit-sliced words never straddle two ranges. Range c is "owned" by party c.
        static func chunks(_ count: Int) -> [Range<Int>] {
            let words = (count + 63) / 64
            let base = words / 3
            let extra = words % 3
            var bounds: [Int] = [0]
            for c in 0..<3 { bounds.append(min(count, bounds[c] + (base + (c < extra ? 1 : 0)) * 64)) }
            return (0..<3).map { bounds[$0]..<bounds[$0 + 1] }
        }
    }
}
