import Testing

@testable import ConsortMPC

/// The distributed proof as pure arithmetic: a prover and its two verifiers in one function, no transport.
@Suite("Distributed proof of products")
struct ProductProofTests {
    /// A statement of `gates` gates of `terms` terms that holds, and a random split of it into two verifier shares.
    static func statement(gates: Int, terms: Int, seed: UInt64) -> (full: ProductStatement, shares: [ProductStatement])
    {
        var generator = SplitMix64(seed: seed)
        let a = ringValues(gates * terms, seed: seed &+ 1)
        let b = (0..<(gates * terms)).map { _ in generator.next() }
        let e = (0..<gates).map { g in (0..<terms).reduce(UInt64(0)) { $0 &- a[g * terms + $1] &* b[g * terms + $1] } }
        var full = ProductStatement()
        full.append(a: a, b: b, e: e, termsPerGate: terms)
        var minus = ProductStatement()
        let aMinus = a.map { _ in generator.next() }
        let bMinus = b.map { _ in generator.next() }
        let eMinus = e.map { _ in generator.next() }
        minus.append(a: aMinus, b: bMinus, e: eMinus, termsPerGate: terms)
        var plus = ProductStatement()
        plus.append(
            a: Ring.subtract(a, aMinus), b: Ring.subtract(b, bMinus), e: Ring.subtract(e, eMinus), termsPerGate: terms)
        return (full, [minus, plus])
    }

    /// Runs the proof: the prover proves `full`, the verifiers hold `shares`; `tamper` may alter the prover's round
    /// messages (round, c0, c2). Returns whether the verifiers accept.
    static func run(
        full: ProductStatement, shares: [ProductStatement], seed: UInt64,
        tamper: (Int, inout GaloisRing.Element, inout GaloisRing.Element) -> Void = { _, _, _ in }
    ) -> Bool {
        var prg = PRG(key: PRG.key(words: [seed, 1]))
        let maskU = GaloisRing.Element.random(&prg)
        let maskV = GaloisRing.Element.random(&prg)
        let maskW = maskU * maskV
        let maskShares = (0..<3).map { _ in GaloisRing.Element.random(&prg) }
        let verifierMasks = [maskShares, zip([maskU, maskV, maskW], maskShares).map { $0 - $1 }]
        let theta = ProductProof.theta(seed: [seed, 2], gates: full.gates)
        var prover = ProductProof.Vectors(statement: full, theta: theta, maskU: maskU, maskV: maskV)
        var vectors = (0..<2).map {
            ProductProof.Vectors(
                statement: shares[$0], theta: theta, maskU: verifierMasks[$0][0], maskV: verifierMasks[$0][1])
        }
        var claims = (0..<2).map {
            ProductProof.Claim(statement: shares[$0], theta: theta, maskW: verifierMasks[$0][2])
        }
        var challenges = PRG(key: PRG.key(words: [seed, 3]))
        for round in 0..<ProductProof.rounds(terms: full.terms) {
            var (c0, c2) = prover.roundCoefficients()
            tamper(round, &c0, &c2)
            let share0 = [GaloisRing.Element.random(&prg), GaloisRing.Element.random(&prg)]
            let share1 = [c0 - share0[0], c2 - share0[1]]
            let r = ProductProof.challenge(&challenges)
            for (index, share) in [share0, share1].enumerated() {
                claims[index].advance(c0: share[0], c2: share[1], r: r)
                vectors[index].fold(r)
            }
            prover.fold(r)
        }
        let u = vectors[0].last.u + vectors[1].last.u
        let v = vectors[0].last.v + vectors[1].last.v
        #expect(prover.last.u == u && prover.last.v == v, "the verifiers' shares fold as the prover's vectors")
        return u * v == claims[0].share + claims[1].share
    }

    @Test("an honest proof is accepted", arguments: [(1, 1), (3, 1), (64, 1), (100, 1), (5, 7), (1, 33)])
    func honest(_ shape: (gates: Int, terms: Int)) {
        let (full, shares) = Self.statement(
            gates: shape.gates, terms: shape.terms, seed: UInt64(shape.gates * 100 + shape.terms))
        #expect(full.holds())
        #expect(Self.run(full: full, shares: shares, seed: 11))
    }

    @Test(
        "a wrong message is rejected, whatever the error (zero divisors included) and wherever it sits",
        arguments: [UInt64(1), 2, 1 << 63, 1 << 40, UInt64.max, 3 << 62])
    func wrongMessage(_ error: UInt64) {
        for (gate, seed) in [(0, UInt64(21)), (17, 22), (99, 23)] {
            var (full, shares) = Self.statement(gates: 100, terms: 1, seed: seed)
            // The message zᵢ moves e in both the prover's statement and the receiving verifier's share.
            full.e[gate] &+= error
            shares[0].e[gate] &+= error
            #expect(!full.holds())
            #expect(!Self.run(full: full, shares: shares, seed: seed))
        }
    }

    @Test("a prover that alters any round's message to fit is rejected")
    func wrongRound() {
        let (full, shares) = Self.statement(gates: 40, terms: 2, seed: 31)
        for round in 0..<ProductProof.rounds(terms: full.terms) {
            #expect(
                !Self.run(full: full, shares: shares, seed: 32) { r, c0, _ in
                    if r == round { c0.coefficients[3] &+= 1 << 63 }
                })
            #expect(
                !Self.run(full: full, shares: shares, seed: 33) { r, _, c2 in
                    if r == round { c2.coefficients[0] &+= 1 }
                })
        }
    }

    @Test("the verifiers' opened values differ from run to run (the mask hides the statement)")
    func masked() {
        let full = Self.statement(gates: 8, terms: 1, seed: 41).full
        func opened(_ seed: UInt64) -> GaloisRing.Element {
            var prg = PRG(key: PRG.key(words: [seed, 1]))
            let maskU = GaloisRing.Element.random(&prg)
            let theta = ProductProof.theta(seed: [7, 2], gates: full.gates)
            var vectors = ProductProof.Vectors(statement: full, theta: theta, maskU: maskU, maskV: maskU)
            var challenges = PRG(key: PRG.key(words: [7, 3]))
            for _ in 0..<ProductProof.rounds(terms: full.terms) { vectors.fold(ProductProof.challenge(&challenges)) }
            return vectors.last.u
        }
        // Same statement, same challenges, different masks: different opened u.
        #expect(opened(1) != opened(2))
    }
}
