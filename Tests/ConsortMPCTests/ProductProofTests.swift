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

    /// Runs the proof: the prover proves `full`, the verifiers hold `shares`; `tamperFirst` may alter the prover's
    /// first-round values, `tamper` its binary rounds' messages (round, c0, c2). Returns whether the verifiers accept.
    static func run(
        full: ProductStatement, shares: [ProductStatement], seed: UInt64,
        tamperFirst: (inout [GaloisRing.Element]) -> Void = { _ in },
        tamper: (Int, inout GaloisRing.Element, inout GaloisRing.Element) -> Void = { _, _, _ in }
    ) -> Bool {
        var prg = PRG(key: PRG.key(words: [seed, 1]))
        let maskU = GaloisRing.Element.random(&prg)
        let maskV = GaloisRing.Element.random(&prg)
        let maskW = maskU * maskV
        let maskShares = (0..<3).map { _ in GaloisRing.Element.random(&prg) }
        let verifierMasks = [maskShares, zip([maskU, maskV, maskW], maskShares).map { $0 - $1 }]
        let rows = ProductProof.Rows(full)
        let shareRows = shares.map(ProductProof.Rows.init)
        let weights = ProductProof.Weights(seed: [seed, 2], groups: rows.groups)
        var claims = (0..<2).map { ProductProof.Claim(shareRows[$0].claim(weights, maskW: verifierMasks[$0][2])) }
        var values = rows.firstRoundValues(weights, maskU: maskU, maskV: maskV)
        tamperFirst(&values)
        let firstShares = values.map { _ in GaloisRing.Element.random(&prg) }
        var challenges = PRG(key: PRG.key(words: [seed, 3]))
        let r1 = ProductProof.firstChallenge(&challenges)
        claims[0].advanceFirst(values: firstShares, r: r1)
        claims[1].advanceFirst(values: zip(values, firstShares).map { $0 - $1 }, r: r1)
        let length = ProductProof.tailLength(positions: rows.positions)
        var prover = rows.folded(weights, r: r1, maskU: maskU, maskV: maskV, length: length)
        var vectors = (0..<2).map {
            shareRows[$0].folded(
                weights, r: r1, maskU: verifierMasks[$0][0], maskV: verifierMasks[$0][1], length: length)
        }
        for round in 0..<length.trailingZeroBitCount {
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

    @Test(
        "an honest proof is accepted",
        arguments: [(1, 1), (3, 1), (16, 1), (17, 1), (64, 1), (100, 1), (5, 7), (1, 33), (40, 64)])
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

    @Test("a prover that alters any round's message is rejected")
    func wrongRound() {
        let (full, shares) = Self.statement(gates: 40, terms: 2, seed: 31)
        for index in [0, 7, 14, 20, 29] {
            #expect(
                !Self.run(full: full, shares: shares, seed: 34, tamperFirst: { $0[index].coefficients[5] &+= 1 << 63 }))
        }
        let rows = ProductProof.Rows(full)
        for round in 0..<ProductProof.tailLength(positions: rows.positions).trailingZeroBitCount {
            #expect(
                !Self.run(
                    full: full, shares: shares, seed: 32,
                    tamper: { r, c0, _ in if r == round { c0.coefficients[3] &+= 1 << 63 } }))
            #expect(
                !Self.run(
                    full: full, shares: shares, seed: 33,
                    tamper: { r, _, c2 in if r == round { c2.coefficients[0] &+= 1 } }))
        }
    }

    @Test("the verifiers' opened values differ from run to run (the mask hides the statement)")
    func masked() {
        let rows = ProductProof.Rows(Self.statement(gates: 8, terms: 1, seed: 41).full)
        let weights = ProductProof.Weights(seed: [7, 2], groups: rows.groups)
        func opened(_ seed: UInt64) -> GaloisRing.Element {
            var prg = PRG(key: PRG.key(words: [seed, 1]))
            let mask = GaloisRing.Element.random(&prg)
            var challenges = PRG(key: PRG.key(words: [7, 3]))
            let length = ProductProof.tailLength(positions: rows.positions)
            var vectors = rows.folded(
                weights, r: ProductProof.firstChallenge(&challenges), maskU: mask, maskV: mask, length: length)
            for _ in 0..<length.trailingZeroBitCount { vectors.fold(ProductProof.challenge(&challenges)) }
            return vectors.last.u
        }
        // Same statement, same challenges, different masks: different opened u.
        #expect(opened(1) != opened(2))
    }

    @Test("Lagrange bases reproduce polynomials of degree below their size; inverses invert")
    func interpolation() {
        var generator = SplitMix64(seed: 51)
        let x = GaloisRing.Element(coefficients: (0..<48).map { _ in generator.next() })
        for count in [ProductProof.fanIn, 2 * ProductProof.fanIn - 1] {
            let basis = ProductProof.lagrange(at: x, count: count)
            for degree in [0, 1, count - 1] {
                func power(_ y: GaloisRing.Element) -> GaloisRing.Element {
                    (0..<degree).reduce(GaloisRing.Element(constant: 1)) { power, _ in power * y }
                }
                let interpolated = (0..<count).reduce(GaloisRing.Element.zero) {
                    $0 + basis[$1] * power(ProductProof.points[$1])
                }
                #expect(interpolated == power(x))
            }
        }
        let unit =
            GaloisRing.Element(exceptional: 0b1011)
            + GaloisRing.Element(coefficients: (0..<48).map { _ in generator.next() << 1 })
        #expect(unit * unit.inverse() == GaloisRing.Element(constant: 1))
    }
}
