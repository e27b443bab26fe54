import Crypto

extension Replicated3 {
    /// What an actively secure session keeps beside the passive protocol: each party's three views of the
    /// multiplications since the last check (its own messages as prover, and its shares as one of the two verifiers of
    /// each neighbour), and the challenge streams each pair of verifiers shares without the prover.
    struct Verification: Sendable {
        /// My messages, as prover.
        var mine = ProductStatement()
        /// My shares as verifier of party i+1's messages (the receiver's side: its message and the keys it shares
        /// with me).
        var ofNext = ProductStatement()
        /// My shares as verifier of party i−1's messages.
        var ofPrevious = ProductStatement()
        /// The same three views of the AND gates (`BooleanProof`).
        var andMine = BooleanStatement.batch(keepsE: false)
        var andOfNext = BooleanStatement.batch()
        var andOfPrevious = BooleanStatement.batch()
        /// Challenges for party i+1's proofs, shared with party i−1 (the other verifier); derived from Kᵢ.
        var challengesOfNext: PRG
        /// Challenges for party i−1's proofs, shared with party i+1; derived from Kᵢ₊₁.
        var challengesOfPrevious: PRG
        /// A check runs once this many terms are pending (bounds the memory: about 90 bytes per term per statement).
        var batchTerms: Int
        /// Products checked and proofs run, for benchmarks.
        var verifiedTerms = 0
        var proofs = 0

        static let defaultBatchTerms = 1 << 20

        /// The largest of the three statements (the proofs run in step, padded to one length).
        var pendingTerms: Int { max(self.mine.terms, self.ofNext.terms, self.ofPrevious.terms) }
        var pendingGates: Int { max(self.andMine.gates, self.andOfNext.gates, self.andOfPrevious.gates) }
        /// AND gates cost about one word of memory per 64 and little to prove: a batch holds 2^26 of them.
        static let batchGates = 1 << 26
    }
}

extension Replicated3.Engine {
    /// Starts recording for verification: the challenge streams are drawn from the pairwise streams (so each pair of
    /// verifiers holds the same one and the prover between them none), after the session's keys are set.
    mutating func enableVerification(batchTerms: Int = Replicated3.Verification.defaultBatchTerms) {
        let ofNext = PRG(key: PRG.key(words: self.withPrevious.words(2)))
        let ofPrevious = PRG(key: PRG.key(words: self.withNext.words(2)))
        self.verification = Replicated3.Verification(
            challengesOfNext: ofNext, challengesOfPrevious: ofPrevious, batchTerms: max(1, batchTerms))
    }

    /// Records one batch of products: party i sent zᵢ = Σ xᵢyᵢ + xᵢyᵢ₊₁ + xᵢ₊₁yᵢ + P − N per gate, where P = F(Kᵢ)
    /// and N = F(Kᵢ₊₁), and received zᵢ₊₁. Per gate with terms x, y (components mine / next):
    /// - as prover: a = xᵢ + xᵢ₊₁, b = yᵢ + yᵢ₊₁, e = P − N − zᵢ − Σ xᵢ₊₁yᵢ₊₁, so Σab + e = 0;
    /// - as verifier of i+1 (which knows the same): a = xᵢ₊₁, b = yᵢ₊₁, e = N − zᵢ₊₁;
    /// - as verifier of i−1: a = xᵢ, b = yᵢ, e = −Σ xᵢyᵢ − P.
    /// Party i+1's own record as verifier of i−1 … is the other share of each statement, so the shares add up.
    mutating func recordProducts(
        xMine: [UInt64], xNext: [UInt64], yMine: [UInt64], yNext: [UInt64], termsPerGate: Int,
        previousStream: [UInt64], nextStream: [UInt64], sent: [UInt64], received: [UInt64]
    ) {
        guard self.verification != nil else { return }
        let gates = sent.count
        let nextProducts = Self.gateSums(Ring.multiply(xNext, yNext), termsPerGate: termsPerGate)
        let mineProducts = Self.gateSums(Ring.multiply(xMine, yMine), termsPerGate: termsPerGate)
        var proverE = [UInt64](repeating: 0, count: gates)
        var nextE = [UInt64](repeating: 0, count: gates)
        var previousE = [UInt64](repeating: 0, count: gates)
        for g in 0..<gates {
            proverE[g] = previousStream[g] &- nextStream[g] &- sent[g] &- nextProducts[g]
            nextE[g] = nextStream[g] &- received[g]
            previousE[g] = 0 &- mineProducts[g] &- previousStream[g]
        }
        self.record(.mine, a: Ring.add(xMine, xNext), b: Ring.add(yMine, yNext), e: proverE, termsPerGate: termsPerGate)
        self.record(.ofNext, a: xNext, b: yNext, e: nextE, termsPerGate: termsPerGate)
        self.record(.ofPrevious, a: xMine, b: yMine, e: previousE, termsPerGate: termsPerGate)
    }

    /// Records a table of inner products (`innerProducts(rows:columns:)`) as `recordProducts` records gates: the same
    /// a, b and e per pair (i, j), kept as the R + C vectors (`ProductStatement.Table`). Vectors of no values are
    /// recorded as one zero, so that each pair's e is still checked.
    mutating func recordTable(
        rows: [Replicated3.Share], columns: [Replicated3.Share], previousStream: [UInt64], nextStream: [UInt64],
        sent: [UInt64], received: [UInt64]
    ) {
        guard var verification = self.verification else { return }
        self.verification = nil
        let (count, width) = (rows.count * columns.count, columns.count)
        var proverE = [UInt64](repeating: 0, count: count)
        var nextE = proverE
        var previousE = proverE
        for (i, x) in rows.enumerated() {
            for (j, y) in columns.enumerated() {
                let index = i * width + j
                proverE[index] = previousStream[index] &- nextStream[index] &- sent[index] &- Ring.dot(x.next, y.next)
                nextE[index] = nextStream[index] &- received[index]
                previousE[index] = 0 &- Ring.dot(x.mine, y.mine) &- previousStream[index]
            }
        }
        let empty = rows[0].count == 0
        func flat(_ vectors: [Replicated3.Share], _ part: (Replicated3.Share) -> [UInt64]) -> [UInt64] {
            empty ? [UInt64](repeating: 0, count: vectors.count) : vectors.flatMap(part)
        }
        let length = empty ? 1 : rows[0].count
        verification.mine.append(
            rows: flat(rows) { Ring.add($0.mine, $0.next) }, columns: flat(columns) { Ring.add($0.mine, $0.next) },
            e: proverE, length: length)
        verification.ofNext.append(rows: flat(rows, \.next), columns: flat(columns, \.next), e: nextE, length: length)
        verification.ofPrevious.append(
            rows: flat(rows, \.mine), columns: flat(columns, \.mine), e: previousE, length: length)
        self.verification = verification
    }

    private static func gateSums(_ products: [UInt64], termsPerGate: Int) -> [UInt64] {
        guard termsPerGate != 1 else { return products }
        return stride(from: 0, to: products.count, by: termsPerGate).map { start in
            products[start..<(start + termsPerGate)].reduce(0, &+)
        }
    }

    /// Checks the pending products if a batch is full.
    mutating func verifyIfBatchFull() async throws {
        // A Bool, not a binding of the state: a copy held across the proofs would keep the statements shared.
        let full = self.verification.map {
            $0.pendingTerms >= $0.batchTerms || $0.pendingGates >= Replicated3.Verification.batchGates
        }
        if full == true { try await self.verifyProducts() }
    }

    /// Runs the three distributed proofs of the pending batch at once — every party proves its own messages to its
    /// two neighbours and verifies theirs (`ProductProof`) — and empties the batch. Throws `cheatingDetected` if a
    /// proof fails, naming who may have deviated; nothing is opened before this returns.
    mutating func verifyProducts() async throws {
        // Only the sizes: a copy of the session's state held across the proofs would keep the statements' vectors
        // shared, and the product proof could no longer take them without a copy.
        guard let (gates, terms) = self.verification.map({ ($0.pendingGates, $0.pendingTerms) }), gates > 0 || terms > 0
        else { return }
        if self.deviates(.skipCheck) { return }
        if gates > 0 { try await self.verifyAndGates() }
        if terms > 0 { try await self.verifyProductStatements() }
    }

    /// The proofs of the pending product statements (`ProductProof`).
    private mutating func verifyProductStatements() async throws {
        guard var verification = self.verification else { return }
        let d = GaloisRing.degree
        let provedTerms = verification.mine.terms
        // Every party lays out all three statements (its own and, as verifier, its neighbours'), so all agree on
        // the later rounds' length and run them in step. The layouts take the statements' vectors: the session's
        // copy lets go of them first.
        let variables = ProductProof.variables(terms: verification.pendingTerms)
        var (mineStatement, nextStatement, previousStatement) = (
            ProductStatement(), ProductStatement(), ProductStatement()
        )
        swap(&mineStatement, &verification.mine)
        swap(&nextStatement, &verification.ofNext)
        swap(&previousStatement, &verification.ofPrevious)
        self.verification = verification
        let mine = ProductProof.Layout(consume mineStatement, variables: variables)
        let ofNext = ProductProof.Layout(consume nextStatement, variables: variables)
        let ofPrevious = ProductProof.Layout(consume previousStatement, variables: variables)
        let length = ProductProof.tailLength(positions: max(mine.positions, ofNext.positions, ofPrevious.positions))
        var own = PRG(key: PRG.randomKey())

        // 1. My mask pair, shared between my verifiers before any challenge exists.
        let maskU = GaloisRing.Element.random(&own)
        let maskV = GaloisRing.Element.random(&own)
        let maskW = maskU * maskV
        let shareForPrevious = (0..<3).map { _ in GaloisRing.Element.random(&own) }
        let shareForNext = zip([maskU, maskV, maskW], shareForPrevious).map { $0 - $1 }
        let masks = try await self.exchange(
            toPrevious: shareForPrevious.flatMap(\.coefficients), toNext: shareForNext.flatMap(\.coefficients),
            fromPrevious: true, fromNext: true)
        let maskOfNext = try Self.elements(self.expect(masks.next, count: 3 * d, from: self.next))
        let maskOfPrevious = try Self.elements(self.expect(masks.previous, count: 3 * d, from: self.previous))

        // 2. The random combination: each pair of verifiers sends its seed to the prover between them.
        let seedOfNext = verification.challengesOfNext.words(2)
        let seedOfPrevious = verification.challengesOfPrevious.words(2)
        let mySeed = try await self.agreedChallenge(toNext: seedOfNext, toPrevious: seedOfPrevious, count: 2)
        let myWeights = mine.weights(seed: mySeed)
        let weightsOfNext = ofNext.weights(seed: seedOfNext)
        let weightsOfPrevious = ofPrevious.weights(seed: seedOfPrevious)
        var claimOfNext = ProductProof.Claim(parts: ofNext.claims(weightsOfNext, maskW: maskOfNext[2]))
        var claimOfPrevious = ProductProof.Claim(parts: ofPrevious.claims(weightsOfPrevious, maskW: maskOfPrevious[2]))

        // 3. The first round, folding the M = 2^m rows into one.
        let values = await mine.firstRoundValues(myWeights, maskU: maskU, maskV: maskV)
        let valuesForPrevious = values.map { _ in GaloisRing.Element.random(&own) }
        var valuesForNext = zip(values, valuesForPrevious).map { $0 - $1 }
        if self.deviates(.flipProofBit) { valuesForNext[0].coefficients[0] ^= 1 }
        let firstMessages = try await self.exchange(
            toPrevious: valuesForPrevious.flatMap(\.coefficients), toNext: valuesForNext.flatMap(\.coefficients),
            fromPrevious: true, fromNext: true)
        let countOfNext = ofNext.parts.count * (ofNext.grid.size - 1) * d
        let countOfPrevious = ofPrevious.parts.count * (ofPrevious.grid.size - 1) * d
        let firstOfNext = try Self.elements(self.expect(firstMessages.next, count: countOfNext, from: self.next))
        let firstOfPrevious = try Self.elements(
            self.expect(firstMessages.previous, count: countOfPrevious, from: self.previous))
        let rOfNext = ProductProof.firstChallenge(&verification.challengesOfNext, count: ofNext.firstChallengeCount)
        let rOfPrevious = ProductProof.firstChallenge(
            &verification.challengesOfPrevious, count: ofPrevious.firstChallengeCount)
        claimOfNext.advanceFirst(values: firstOfNext, weights: weightsOfNext, grid: ofNext.grid, challenge: rOfNext)
        claimOfPrevious.advanceFirst(
            values: firstOfPrevious, weights: weightsOfPrevious, grid: ofPrevious.grid, challenge: rOfPrevious)
        // My neighbours' vectors are needed only for the final check: they fold in the background, with each
        // round's challenges as they come, while the challenges go out — only the prover's work lies on the rounds'
        // path. The defer runs before the folds are awaited on any way out, a throw included.
        let rounds = RoundChallenges()
        async let verifiedNext = Self.verifierFold(
            ofNext, weightsOfNext, challenge: rOfNext, mask: maskOfNext, length: length, rounds: rounds.ofNext.stream)
        async let verifiedPrevious = Self.verifierFold(
            ofPrevious, weightsOfPrevious, challenge: rOfPrevious, mask: maskOfPrevious, length: length,
            rounds: rounds.ofPrevious.stream)
        defer { rounds.finish() }
        var sentOfNext = rOfNext
        if self.deviates(.wrongChallenge) { sentOfNext[0] ^= 1 << 40 }
        let r = try await self.agreedChallenge(
            toNext: sentOfNext, toPrevious: rOfPrevious, count: mine.firstChallengeCount)
        guard r.allSatisfy({ $0 > 1 && $0 <= GaloisRing.exceptionalMask }) else {
            throw MPCError(
                .cheatingDetected,
                "parties \(self.previous) and \(self.next) sent a first challenge outside its set for party "
                    + "\(self.party)'s proof", suspects: [self.previous, self.next])
        }
        var prover = mine.folded(myWeights, challenge: r, maskU: maskU, maskV: maskV, length: length)

        // 4. The remaining rounds, each of one or more variables (`ProductProof.rounds`).
        for variables in ProductProof.rounds(length: length) {
            let values = prover.roundValues(variables: variables)
            let forPrevious = values.map { _ in GaloisRing.Element.random(&own) }
            let forNext = zip(values, forPrevious).map { $0 - $1 }
            let messages = try await self.exchange(
                toPrevious: forPrevious.flatMap(\.coefficients), toNext: forNext.flatMap(\.coefficients),
                fromPrevious: true, fromNext: true)
            let ofNext = try Self.elements(self.expect(messages.next, count: values.count * d, from: self.next))
            let ofPrevious = try Self.elements(
                self.expect(messages.previous, count: values.count * d, from: self.previous))
            let rOfNext = (0..<variables).map { _ in ProductProof.challenge(&verification.challengesOfNext) }
            let rOfPrevious = (0..<variables).map { _ in ProductProof.challenge(&verification.challengesOfPrevious) }
            claimOfNext.advance(values: ofNext, r: rOfNext)
            claimOfPrevious.advance(values: ofPrevious, r: rOfPrevious)
            rounds.send(ofNext: rOfNext, ofPrevious: rOfPrevious)
            let r = try await self.agreedChallenge(toNext: rOfNext, toPrevious: rOfPrevious, count: variables)
            guard r.allSatisfy({ $0 > 1 && $0 <= GaloisRing.exceptionalMask }) else {
                throw MPCError(
                    .cheatingDetected,
                    "parties \(self.previous) and \(self.next) sent a challenge outside the exceptional set for party "
                        + "\(self.party)'s proof", suspects: [self.previous, self.next])
            }
            prover.fold(r)
        }
        rounds.finish()
        guard let finalOfNext = await verifiedNext, let finalOfPrevious = await verifiedPrevious else {
            throw MPCError(.cancelled, "party \(self.party)'s proof checks were cancelled")
        }

        // 5. Each pair of verifiers opens its shares of (u, v, C) to each other and checks u·v = C.
        var finalForPrevious = [finalOfNext.u, finalOfNext.v, claimOfNext.share].flatMap(\.coefficients)
        if self.deviates(.wrongFinalShare) { finalForPrevious[5] &+= 1 }
        let opened = try await self.exchange(
            toPrevious: finalForPrevious,
            toNext: [finalOfPrevious.u, finalOfPrevious.v, claimOfPrevious.share].flatMap(\.coefficients),
            fromPrevious: true, fromNext: true)
        let otherOfNext = try Self.elements(self.expect(opened.previous, count: 3 * d, from: self.previous))
        let otherOfPrevious = try Self.elements(self.expect(opened.next, count: 3 * d, from: self.next))
        let nextHolds =
            (finalOfNext.u + otherOfNext[0]) * (finalOfNext.v + otherOfNext[1]) == claimOfNext.share + otherOfNext[2]
        let previousHolds =
            (finalOfPrevious.u + otherOfPrevious[0]) * (finalOfPrevious.v + otherOfPrevious[1])
            == claimOfPrevious.share + otherOfPrevious[2]
        verification.verifiedTerms += provedTerms
        verification.proofs += 1
        self.verification = verification
        try self.verdict(nextHolds: nextHolds, previousHolds: previousHolds, of: "its multiplications")
    }

    /// A verifier's side of a neighbour's product proof after the first round: its shares of the vectors, folded at
    /// the first challenge and then with each round's challenges as `rounds` brings them, down to the last element
    /// (nil if the rounds stopped short: the session is ending).
    private static func verifierFold(
        _ layout: ProductProof.Layout, _ weights: [ProductProof.Weights], challenge: [UInt64],
        mask: [GaloisRing.Element], length: Int, rounds: AsyncStream<[UInt64]>
    ) async -> (u: GaloisRing.Element, v: GaloisRing.Element)? {
        var vectors = layout.folded(weights, challenge: challenge, maskU: mask[0], maskV: mask[1], length: length)
        for await r in rounds { vectors.fold(r) }
        return vectors.length == 1 ? vectors.last : nil
    }

    /// Throws for a neighbour's proof that failed its final check: the prover sent wrong messages, or the other
    /// verifier sent wrong shares of the final values — this party cannot tell which.
    func verdict(nextHolds: Bool, previousHolds: Bool, of what: String) throws {
        for (holds, prover, other) in [
            (nextHolds, self.next, self.previous), (previousHolds, self.previous, self.next),
        ]
        where !holds {
            throw MPCError(
                .cheatingDetected,
                "party \(self.party) rejects party \(prover)'s proof of \(what): party \(prover) sent wrong messages, "
                    + "or party \(other) sent wrong shares of the proof", suspects: [prover, other])
        }
    }

    /// Sends my challenge for each neighbour's proof and receives the two for mine, which must be equal: the two
    /// verifiers drew them from the stream they share.
    mutating func agreedChallenge(toNext: [UInt64], toPrevious: [UInt64], count: Int) async throws
        -> [UInt64]
    {
        let received = try await self.exchange(
            toPrevious: toPrevious, toNext: toNext, fromPrevious: true, fromNext: true)
        let fromPrevious = try self.expect(received.previous, count: count, from: self.previous)
        let fromNext = try self.expect(received.next, count: count, from: self.next)
        guard fromPrevious == fromNext else {
            throw MPCError(
                .cheatingDetected,
                "parties \(self.previous) and \(self.next) sent different challenges for party \(self.party)'s proof: "
                    + "one of the two deviated", suspects: [self.previous, self.next])
        }
        return fromPrevious
    }

    private static func elements(_ words: [UInt64]) -> [GaloisRing.Element] {
        stride(from: 0, to: words.count, by: GaloisRing.degree).map {
            GaloisRing.Element(coefficients: Array(words[$0..<($0 + GaloisRing.degree)]))
        }
    }

    /// Reveals x after checking everything it depends on, and with each missing component received from both its
    /// holders: the first party sends it, the second a SHA-256 digest of its copy.
    mutating func checkedOpen(_ x: Replicated3.Share) async throws -> [Int64] {
        try await self.verifyProducts()
        let missing = try await self.missingComponent(of: x)
        return Ring.add(Ring.add(x.mine, x.next), missing).map { Int64(bitPattern: $0) }
    }

    /// Reveals XOR-shared bits as `checkedOpen` reveals values.
    mutating func checkedOpenBits(_ x: Replicated3.Bits) async throws -> [UInt64] {
        try await self.verifyProducts()
        let missing = try await self.missingComponent(of: Replicated3.Share(mine: x.mine, next: x.next))
        return Ring.xor(Ring.xor(x.mine, x.next), missing)
    }

    /// The component of `x` I do not hold, received from both its holders: party i−1 sends it, party i+1 a SHA-256
    /// digest of its copy; they must agree. Words are compared as words, whatever they encode.
    mutating func missingComponent(of x: Replicated3.Share) async throws -> [UInt64] {
        let digest = Self.digest(x.next)
        var sent = x.mine
        if !sent.isEmpty && self.deviates(.wrongOpening) { sent[0] &+= 1 }
        let received = try await self.exchange(toPrevious: digest, toNext: sent, fromPrevious: true, fromNext: true)
        let missing = try self.expect(received.previous, count: x.count, from: self.previous)
        let copy = try self.expect(received.next, count: digest.count, from: self.next)
        guard Self.digest(missing) == copy else {
            throw MPCError(
                .cheatingDetected,
                "opening: parties \(self.previous) and \(self.next) sent different copies of the same share "
                    + "component; one of the two deviated", suspects: [self.previous, self.next])
        }
        return missing
    }

    /// Checks dealt shares before use: component i+1 is my second and party i+1's first; I send a digest of mine to
    /// it and compare the one party i−1 sends of my first. A mismatch means the input party dealt inconsistent
    /// shares or a computing party altered its copy; no computing party can be named from here.
    mutating func checkConsistency(_ columns: [Replicated3.Share]) async throws {
        let received = try await self.exchange(
            toNext: Self.digest(columns.flatMap(\.next)), fromPrevious: true)
        let theirs = try self.expect(received.previous, count: 4, from: self.previous)
        guard Self.digest(columns.flatMap(\.mine)) == theirs else {
            throw MPCError(
                .inconsistentShares,
                "the input shares' component \(self.party) differs between party \(self.previous) and party "
                    + "\(self.party): the input party dealt inconsistent shares, or one of the two altered its copy")
        }
    }

    private static func digest(_ words: [UInt64]) -> [UInt64] {
        let hash = words.withUnsafeBytes { SHA256.hash(data: $0) }
        return hash.withUnsafeBytes { bytes in (0..<4).map { bytes.load(fromByteOffset: 8 * $0, as: UInt64.self) } }
    }
}
