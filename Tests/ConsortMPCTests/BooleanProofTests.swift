import Testing

@testable import ConsortMPC

/// The AND gates' distributed proof as pure arithmetic: a prover and its two verifiers in one function, no transport.
@Suite("Distributed proof of AND gates")
struct BooleanProofTests {
    /// `words` words of 64 AND gates that hold (e = a·b), and a random XOR split into two verifier shares.
    static func statement(words: Int, seed: UInt64) -> (full: BooleanStatement, shares: [BooleanStatement]) {
        var generator = SplitMix64(seed: seed)
        let a = (0..<words).map { _ in generator.next() }
        let b = (0..<words).map { i in i == 0 ? UInt64.max : generator.next() }
        var full = BooleanStatement()
        full.append(a: a, b: b, e: zip(a, b).map { $0 & $1 })
        let masks = (0..<3).map { _ in (0..<words).map { _ in generator.next() } }
        var first = BooleanStatement()
        first.append(a: masks[0], b: masks[1], e: masks[2])
        var second = BooleanStatement()
        second.append(
            a: zip(full.a, masks[0]).map { $0 ^ $1 }, b: zip(full.b, masks[1]).map { $0 ^ $1 },
            e: zip(full.e, masks[2]).map { $0 ^ $1 })
        return (full, [first, second])
    }

    /// Runs the proof; `tamperFirst` may alter the prover's first-round values, `tamper` a later round's (round,
    /// values). The rounds' variables are `schedule`'s (the engine's, `BooleanProof.rounds`, unless given). Returns
    /// whether the verifiers accept.
    static func run(
        full: BooleanStatement, shares: [BooleanStatement], seed: UInt64,
        schedule: ((Int) -> [Int])? = nil,
        tamperFirst: (inout [UInt64]) -> Void = { _ in },
        tamper: (Int, inout [UInt64]) -> Void = { _, _ in }
    ) async -> Bool {
        var prg = PRG(key: PRG.key(words: [seed, 1]))
        let (maskU, maskV) = (prg.words(1)[0], prg.words(1)[0])
        let maskShares = prg.words(3)
        let verifierMasks = [
            maskShares, zip([maskU, maskV, BinaryField.multiply(maskU, maskV)], maskShares).map { $0 ^ $1 },
        ]
        let weights = BooleanProof.Weights(seed: [seed, 2], words: full.words)
        var claims = (0..<2).map {
            BooleanProof.Claim(BooleanProof.claim(shares[$0], weights, maskW: verifierMasks[$0][2]))
        }
        var values = await BooleanProof.firstRoundValues(full, weights, maskU: maskU, maskV: maskV)
        #expect(values.count == BooleanProof.grid.size - 1)
        tamperFirst(&values)
        let firstShares = prg.words(values.count)
        var challenges = PRG(key: PRG.key(words: [seed, 3]))
        let r1 = BooleanProof.firstChallenge(&challenges)
        claims[0].advanceFirst(values: firstShares, weights: weights, r: r1)
        claims[1].advanceFirst(values: zip(values, firstShares).map { $0 ^ $1 }, weights: weights, r: r1)
        let length = ProductProof.tailLength(positions: full.e.count)
        var prover = BooleanProof.folded(full, weights, r: r1, maskU: maskU, maskV: maskV, length: length)
        var vectors = (0..<2).map {
            BooleanProof.folded(
                shares[$0], weights, r: r1, maskU: verifierMasks[$0][0], maskV: verifierMasks[$0][1], length: length)
        }
        let rounds = (schedule ?? BooleanProof.rounds)(length)
        #expect(rounds.reduce(0, +) == length.trailingZeroBitCount, "the rounds fold every variable")
        for (round, variables) in rounds.enumerated() {
            var values = prover.roundValues(variables: variables)
            tamper(round, &values)
            let share0 = prg.words(values.count)
            let share1 = zip(values, share0).map { $0 ^ $1 }
            let r = (0..<variables).map { _ in BooleanProof.challenge(&challenges) }
            for (index, share) in [share0, share1].enumerated() {
                claims[index].advance(values: share, r: r)
                vectors[index].fold(r)
            }
            prover.fold(r)
        }
        let u = vectors[0].last.u ^ vectors[1].last.u
        let v = vectors[0].last.v ^ vectors[1].last.v
        #expect(prover.last.u == u && prover.last.v == v, "the verifiers' shares fold as the prover's vectors")
        return BinaryField.multiply(u, v) == claims[0].share ^ claims[1].share
    }

    @Test("an honest proof is accepted", arguments: [1, 2, 3, 5, 64, 1000])
    func honest(words: Int) async {
        let (full, shares) = Self.statement(words: words, seed: UInt64(words))
        #expect(await Self.run(full: full, shares: shares, seed: 7))
    }

    @Test("a wrong gate is rejected, wherever it sits in its word", arguments: [0, 1, 7, 8, 31, 62, 63])
    func wrongGate(bit: Int) async {
        for (word, seed) in [(0, UInt64(11)), (4, 12), (99, 13)] {
            var (full, shares) = Self.statement(words: 100, seed: seed)
            full.e[word] ^= 1 << UInt64(bit)
            shares[1].e[word] ^= 1 << UInt64(bit)
            #expect(await !Self.run(full: full, shares: shares, seed: seed))
        }
    }

    /// `statement(words:seed:)` with `linear` words of linear relations (e = 0) after it, XOR-shared.
    static func withLinear(words: Int, linear: Int, seed: UInt64) -> (
        full: BooleanStatement, shares: [BooleanStatement]
    ) {
        var (full, shares) = Self.statement(words: words, seed: seed)
        var generator = SplitMix64(seed: seed ^ 0x5eed)
        let mask = (0..<linear).map { _ in generator.next() }
        full.appendLinear(e: [UInt64](repeating: 0, count: linear))
        shares[0].appendLinear(e: mask)
        shares[1].appendLinear(e: mask)
        return (full, shares)
    }

    @Test("linear relations are weighed in the claim: honest ones accepted, a wrong one rejected at any bit")
    func linearRelations() async {
        for (words, linear) in [(0, 1), (1, 1), (5, 3), (64, 100)] {
            let (full, shares) = Self.withLinear(words: words, linear: linear, seed: UInt64(41 + words))
            #expect(await Self.run(full: full, shares: shares, seed: 42), "honest, \(words) + \(linear) words")
            for (word, bit) in [(0, 0), (linear - 1, 63), (linear / 2, 17)] {
                var (wrongFull, wrongShares) = (full, shares)
                wrongFull.linear[word] ^= 1 << UInt64(bit)
                wrongShares[0].linear[word] ^= 1 << UInt64(bit)
                #expect(await !Self.run(full: wrongFull, shares: wrongShares, seed: 43), "word \(word), bit \(bit)")
            }
        }
    }

    @Test("rounds of one to four variables: honest proofs accepted, any altered value of any round rejected")
    func roundSchedules() async {
        #expect(BooleanProof.rounds(length: 1 << 20) == [1, 1, 1, 1, 4, 4, 4, 4])
        #expect(BooleanProof.rounds(length: 1 << 6) == [4, 2])
        let (full, shares) = Self.statement(words: 200, seed: 23)
        for variables in 1...4 {
            let schedule = { (length: Int) in
                ProductProof.roundVariables(length: length, binaryAbove: .max, variables: variables)
            }
            #expect(await Self.run(full: full, shares: shares, seed: 24, schedule: schedule), "\(variables) variables")
            for (round, roundVariables) in schedule(256).enumerated() {
                let count = ProductProof.Grid.of(variables: roundVariables).size - 1
                for index in Set([0, count / 2, count - 1]) {
                    #expect(
                        await !Self.run(
                            full: full, shares: shares, seed: 25, schedule: schedule,
                            tamper: { r, values in if r == round { values[index] ^= 1 << 40 } }),
                        "round \(round) of \(roundVariables) variables, value \(index)")
                }
            }
        }
    }

    @Test("a prover that alters any first-round value is rejected")
    func wrongFirstRound() async {
        let (full, shares) = Self.statement(words: 9, seed: 21)
        for index in 0..<(BooleanProof.grid.size - 1) {
            #expect(await !Self.run(full: full, shares: shares, seed: 22, tamperFirst: { $0[index] ^= 1 << 17 }))
        }
    }

    @Test("the grid values are p = Σ_w ρ_w A_w B_w: p(r) from the grid equals the folded vectors' inner product")
    func gridEvaluation() async {
        let (full, _) = Self.statement(words: 3, seed: 31)
        let weights = BooleanProof.Weights(seed: [31, 2], words: 3)
        var p = [UInt64](repeating: 0, count: BooleanProof.grid.size)
        // No mask: p(0) straight from the rows.
        let values = await BooleanProof.firstRoundValues(full, weights, maskU: 0, maskV: 0)
        p[0] = (0..<3).reduce(UInt64(0)) { sum, w in
            (full.a[w] & full.b[w] & 1) == 1 ? sum ^ weights.rho[w] : sum
        }
        for z in 1..<p.count { p[z] = values[z - 1] }
        var prg = PRG(key: PRG.key(words: [31, 3]))
        let r = BooleanProof.firstChallenge(&prg)
        let vectors = BooleanProof.folded(full, weights, r: r, maskU: 0, maskV: 0, length: 4)
        let inner = (0..<3).reduce(UInt64(0)) { $0 ^ BinaryField.multiply(vectors.u[$1], vectors.v[$1]) }
        #expect(BooleanProof.evaluate(p, at: r) == inner)
    }
}

/// Whole arrays into a statement, for the tests' hand-made statements (the engine fills them in place).
extension BooleanStatement {
    mutating func append(a: [UInt64], b: [UInt64], e: [UInt64]) {
        precondition(a.count == e.count && b.count == e.count)
        self.append(words: e.count) { index, aOut, bOut, eOut in (aOut, bOut, eOut) = (a[index], b[index], e[index]) }
    }

    mutating func appendLinear(e: [UInt64]) { self.appendLinear(words: e.count) { e[$0] } }
}
