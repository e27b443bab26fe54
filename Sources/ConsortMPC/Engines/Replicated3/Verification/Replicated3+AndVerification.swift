extension Replicated3.Engine {
    /// The proofs of the pending AND gates (`BooleanProof`), all three parties proving and verifying at once, in the
    /// steps of `verifyProducts`' product proofs: masks, weights, the first round on words, later rounds, the final
    /// check.
    mutating func verifyAndGates() async throws {
        guard var verification = self.verification else { return }
        let (mine, ofNext, ofPrevious) = (verification.andMine, verification.andOfNext, verification.andOfPrevious)
        let length = ProductProof.tailLength(
            positions: max(mine.productWords, ofNext.productWords, ofPrevious.productWords))
        var own = PRG(key: PRG.randomKey())

        // 1. My mask pair and its product, shared between my verifiers.
        let (maskU, maskV) = (own.words(1)[0], own.words(1)[0])
        let shareForPrevious = own.words(3)
        let shareForNext = zip([maskU, maskV, BinaryField.multiply(maskU, maskV)], shareForPrevious).map { $0 ^ $1 }
        let masks = try await self.exchange(
            toPrevious: shareForPrevious, toNext: shareForNext, fromPrevious: true, fromNext: true)
        let maskOfNext = try self.expect(masks.next, count: 3, from: self.next)
        let maskOfPrevious = try self.expect(masks.previous, count: 3, from: self.previous)

        // 2. The weights, from a seed of each pair of verifiers.
        let seedOfNext = verification.challengesOfNext.words(2)
        let seedOfPrevious = verification.challengesOfPrevious.words(2)
        let mySeed = try await self.agreedChallenge(toNext: seedOfNext, toPrevious: seedOfPrevious, count: 2)
        let myWeights = BooleanProof.Weights(seed: mySeed, words: mine.words)
        let weightsOfNext = BooleanProof.Weights(seed: seedOfNext, words: ofNext.words)
        let weightsOfPrevious = BooleanProof.Weights(seed: seedOfPrevious, words: ofPrevious.words)
        var claimOfNext = BooleanProof.Claim(BooleanProof.claim(ofNext, weightsOfNext, maskW: maskOfNext[2]))
        var claimOfPrevious = BooleanProof.Claim(
            BooleanProof.claim(ofPrevious, weightsOfPrevious, maskW: maskOfPrevious[2]))

        // 3. The first round: p on the grid {0,1,∞}^6 but the origin, shared.
        let values = await BooleanProof.firstRoundValues(mine, myWeights, maskU: maskU, maskV: maskV)
        let valuesForPrevious = own.words(values.count)
        var valuesForNext = zip(values, valuesForPrevious).map { $0 ^ $1 }
        if self.deviates(.flipProofBit) { valuesForNext[0] ^= 1 }
        let first = try await self.exchange(
            toPrevious: valuesForPrevious, toNext: valuesForNext, fromPrevious: true, fromNext: true)
        let firstOfNext = try self.expect(first.next, count: values.count, from: self.next)
        let firstOfPrevious = try self.expect(first.previous, count: values.count, from: self.previous)
        let rOfNext = BooleanProof.firstChallenge(&verification.challengesOfNext)
        let rOfPrevious = BooleanProof.firstChallenge(&verification.challengesOfPrevious)
        claimOfNext.advanceFirst(values: firstOfNext, weights: weightsOfNext, r: rOfNext)
        claimOfPrevious.advanceFirst(values: firstOfPrevious, weights: weightsOfPrevious, r: rOfPrevious)
        // As in the product proof: my neighbours' vectors fold in the background, the challenges go out first.
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
            toNext: sentOfNext, toPrevious: rOfPrevious, count: BooleanProof.grid.variables)
        for ri in r { try self.checkChallenge(ri) }
        var prover = BooleanProof.folded(mine, myWeights, r: r, maskU: maskU, maskV: maskV, length: length)

        // 4. The remaining rounds, each of one or more variables (`BooleanProof.rounds`).
        for variables in BooleanProof.rounds(length: length) {
            let values = prover.roundValues(variables: variables)
            let forPrevious = own.words(values.count)
            let forNext = zip(values, forPrevious).map { $0 ^ $1 }
            let messages = try await self.exchange(
                toPrevious: forPrevious, toNext: forNext, fromPrevious: true, fromNext: true)
            let ofNext = try self.expect(messages.next, count: values.count, from: self.next)
            let ofPrevious = try self.expect(messages.previous, count: values.count, from: self.previous)
            let rOfNext = (0..<variables).map { _ in BooleanProof.challenge(&verification.challengesOfNext) }
            let rOfPrevious = (0..<variables).map { _ in BooleanProof.challenge(&verification.challengesOfPrevious) }
            claimOfNext.advance(values: ofNext, r: rOfNext)
            claimOfPrevious.advance(values: ofPrevious, r: rOfPrevious)
            rounds.send(ofNext: rOfNext, ofPrevious: rOfPrevious)
            let r = try await self.agreedChallenge(toNext: rOfNext, toPrevious: rOfPrevious, count: variables)
            for ri in r { try self.checkChallenge(ri) }
            prover.fold(r)
        }
        rounds.finish()
        guard let finalOfNext = await verifiedNext, let finalOfPrevious = await verifiedPrevious else {
            throw MPCError(.cancelled, "party \(self.party)'s proof checks were cancelled")
        }

        // 5. Each pair of verifiers opens its shares of (u, v, C) to each other and checks u·v = C.
        var finalForPrevious = [finalOfNext.u, finalOfNext.v, claimOfNext.share]
        if self.deviates(.wrongFinalShare) { finalForPrevious[2] ^= 1 }
        let opened = try await self.exchange(
            toPrevious: finalForPrevious, toNext: [finalOfPrevious.u, finalOfPrevious.v, claimOfPrevious.share],
            fromPrevious: true, fromNext: true)
        let otherOfNext = try self.expect(opened.previous, count: 3, from: self.previous)
        let otherOfPrevious = try self.expect(opened.next, count: 3, from: self.next)
        let nextHolds =
            BinaryField.multiply(finalOfNext.u ^ otherOfNext[0], finalOfNext.v ^ otherOfNext[1])
            == claimOfNext.share ^ otherOfNext[2]
        let previousHolds =
            BinaryField.multiply(finalOfPrevious.u ^ otherOfPrevious[0], finalOfPrevious.v ^ otherOfPrevious[1])
            == claimOfPrevious.share ^ otherOfPrevious[2]
        verification.proofs += 1
        verification.andMine = .batch(keepsE: false)
        verification.andOfNext = .batch()
        verification.andOfPrevious = .batch()
        self.verification = verification
        try self.verdict(nextHolds: nextHolds, previousHolds: previousHolds, of: "its AND gates")
    }

    /// A verifier's side of a neighbour's AND-gate proof after the first round, as `verifierFold` of the product
    /// proof: folded at the first challenge, then round by round as `rounds` brings the challenges.
    private static func verifierFold(
        _ statement: BooleanStatement, _ weights: BooleanProof.Weights, challenge: [UInt64], mask: [UInt64],
        length: Int, rounds: AsyncStream<[UInt64]>
    ) async -> (u: UInt64, v: UInt64)? {
        var vectors = BooleanProof.folded(
            statement, weights, r: challenge, maskU: mask[0], maskV: mask[1], length: length)
        for await r in rounds { vectors.fold(r) }
        return vectors.length == 1 ? vectors.last : nil
    }

    /// A challenge of the AND gates' proof must have its top bit set (never an evaluation point, 0 or 1).
    private func checkChallenge(_ r: UInt64) throws {
        guard r & BooleanProof.challengeBit != 0 else {
            throw MPCError(
                .cheatingDetected,
                "parties \(self.previous) and \(self.next) sent a challenge outside its set for party \(self.party)'s "
                    + "proof of its AND gates", suspects: [self.previous, self.next])
        }
    }
}
