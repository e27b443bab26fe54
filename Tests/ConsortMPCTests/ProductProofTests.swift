import CConsortRing
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
    /// first-round values, `tamper` a later round's values (round, values). The rounds' variables are `schedule`'s
    /// (the engine's, `ProductProof.rounds`, unless given). Returns whether the verifiers accept.
    static func run(
        full: ProductStatement, shares: [ProductStatement], seed: UInt64,
        schedule: ((Int) -> [Int])? = nil,
        tamperFirst: (inout [GaloisRing.Element]) -> Void = { _ in },
        tamper: (Int, inout [GaloisRing.Element]) -> Void = { _, _ in }
    ) async -> Bool {
        var prg = PRG(key: PRG.key(words: [seed, 1]))
        let maskU = GaloisRing.Element.random(&prg)
        let maskV = GaloisRing.Element.random(&prg)
        let maskW = maskU * maskV
        let maskShares = (0..<3).map { _ in GaloisRing.Element.random(&prg) }
        let verifierMasks = [maskShares, zip([maskU, maskV, maskW], maskShares).map { $0 - $1 }]
        let variables = ProductProof.variables(terms: full.terms)
        let rows = ProductProof.Layout(full, variables: variables)
        let shareRows = shares.map { ProductProof.Layout($0, variables: variables) }
        let weights = rows.weights(seed: [seed, 2])
        var claims = (0..<2).map {
            ProductProof.Claim(parts: shareRows[$0].claims(weights, maskW: verifierMasks[$0][2]))
        }
        var values = await rows.firstRoundValues(weights, maskU: maskU, maskV: maskV)
        #expect(values.count == rows.parts.count * (rows.grid.size - 1))
        tamperFirst(&values)
        let firstShares = values.map { _ in GaloisRing.Element.random(&prg) }
        var challenges = PRG(key: PRG.key(words: [seed, 3]))
        let r1 = ProductProof.firstChallenge(&challenges, count: rows.firstChallengeCount)
        claims[0].advanceFirst(values: firstShares, weights: weights, grid: rows.grid, challenge: r1)
        claims[1].advanceFirst(
            values: zip(values, firstShares).map { $0 - $1 }, weights: weights, grid: rows.grid, challenge: r1)
        let length = ProductProof.tailLength(positions: rows.positions)
        var prover = rows.folded(weights, challenge: r1, maskU: maskU, maskV: maskV, length: length)
        var vectors = (0..<2).map {
            shareRows[$0].folded(
                weights, challenge: r1, maskU: verifierMasks[$0][0], maskV: verifierMasks[$0][1], length: length)
        }
        let rounds = (schedule ?? ProductProof.rounds)(length)
        #expect(rounds.reduce(0, +) == length.trailingZeroBitCount, "the rounds fold every variable")
        for (round, variables) in rounds.enumerated() {
            var values = prover.roundValues(variables: variables)
            #expect(values.count == ProductProof.Grid.of(variables: variables).size - 1)
            tamper(round, &values)
            let share0 = values.map { _ in GaloisRing.Element.random(&prg) }
            let share1 = zip(values, share0).map { $0 - $1 }
            let r = (0..<variables).map { _ in ProductProof.challenge(&challenges) }
            for (index, share) in [share0, share1].enumerated() {
                claims[index].advance(values: share, r: r)
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
        arguments: [(1, 1), (3, 1), (16, 1), (17, 1), (64, 1), (100, 1), (5, 7), (1, 33), (40, 64), (70_000, 1)])
    func honest(_ shape: (gates: Int, terms: Int)) async {
        let (full, shares) = Self.statement(
            gates: shape.gates, terms: shape.terms, seed: UInt64(shape.gates * 100 + shape.terms))
        #expect(full.holds())
        #expect(await Self.run(full: full, shares: shares, seed: 11))
    }

    /// Narrow and wide runs in one statement: both parts of the layout.
    static func mixed(seed: UInt64) -> (full: ProductStatement, shares: [ProductStatement]) {
        let parts = [(300, 1), (1, 5000), (70, 3), (2, 700)].enumerated().map {
            Self.statement(gates: $1.0, terms: $1.1, seed: seed &+ UInt64($0))
        }
        var full = ProductStatement()
        var shares = [ProductStatement(), ProductStatement()]
        for part in parts {
            full.append(a: part.full.a, b: part.full.b, e: part.full.e, termsPerGate: part.full.terms / part.full.gates)
            for i in 0..<2 {
                shares[i].append(
                    a: part.shares[i].a, b: part.shares[i].b, e: part.shares[i].e,
                    termsPerGate: part.full.terms / part.full.gates)
            }
        }
        return (full, shares)
    }

    @Test("a statement of narrow and wide gates is laid out in two parts, proved and rejected when wrong")
    func mixedLayout() async {
        let (full, shares) = Self.mixed(seed: 81)
        let layout = ProductProof.Layout(full, variables: ProductProof.variables(terms: full.terms))
        #expect(layout.parts.map(\.spread) == [false, true])
        #expect(full.holds())
        #expect(await Self.run(full: full, shares: shares, seed: 82))
        // A difference moved from one part's grid value to the other's cancels in p_0(r) + p_1(r) (the prover could
        // so hide a false part behind a true one); the verifiers' γ on the second part catches it.
        let count = layout.grid.size - 1
        for point in [0, 1, 5, count - 1] {
            let moved = GaloisRing.Element(constant: 1 << 40)
            #expect(
                await !Self.run(
                    full: full, shares: shares, seed: 84,
                    tamperFirst: {
                        $0[point] = $0[point] + moved
                        $0[count + point] = $0[count + point] - moved
                    }))
        }
        // A wrong wide gate (the 5000-term one is gate 300), then a wrong narrow one.
        for gate in [300, 5] {
            var (wrongFull, wrongShares) = (full, shares)
            wrongFull.e[gate] &+= 1 << 63
            wrongShares[1].e[gate] &+= 1 << 63
            #expect(await !Self.run(full: wrongFull, shares: wrongShares, seed: 83))
        }
    }

    /// A table of R × C inner products of length L that holds, and a random split of it into two verifier shares.
    static func table(rows: Int, columns: Int, length: Int, seed: UInt64)
        -> (full: ProductStatement, shares: [ProductStatement])
    {
        var generator = SplitMix64(seed: seed)
        let a = ringValues(rows * length, seed: seed &+ 1)
        let b = (0..<(columns * length)).map { _ in generator.next() }
        let e = (0..<rows).flatMap { i in
            (0..<columns).map { j in
                (0..<length).reduce(UInt64(0)) { $0 &- a[i * length + $1] &* b[j * length + $1] }
            }
        }
        var full = ProductStatement()
        full.append(rows: a, columns: b, e: e, length: length)
        let (aMinus, bMinus, eMinus) = (
            a.map { _ in generator.next() }, b.map { _ in generator.next() }, e.map { _ in generator.next() }
        )
        var minus = ProductStatement()
        minus.append(rows: aMinus, columns: bMinus, e: eMinus, length: length)
        var plus = ProductStatement()
        plus.append(
            rows: Ring.subtract(a, aMinus), columns: Ring.subtract(b, bMinus), e: Ring.subtract(e, eMinus),
            length: length)
        return (full, [minus, plus])
    }

    @Test(
        "a table of inner products is proved as one pair of vectors, and rejected when any pair is wrong",
        arguments: [(1, 1, 1), (3, 4, 64), (4, 3, 1000), (2, 5, 70_000)])
    func table(_ shape: (rows: Int, columns: Int, length: Int)) async {
        let seed = UInt64(shape.rows * 1000 + shape.columns * 100 + shape.length)
        let (full, shares) = Self.table(rows: shape.rows, columns: shape.columns, length: shape.length, seed: seed)
        #expect(full.holds())
        let layout = ProductProof.Layout(full, variables: ProductProof.variables(terms: full.terms))
        #expect(layout.parts.map(\.isTables) == [true])
        #expect(layout.positions == (shape.length + layout.grid.rows - 1) / layout.grid.rows)
        #expect(await Self.run(full: full, shares: shares, seed: seed &+ 7))
        let count = shape.rows * shape.columns
        for (pair, error) in [(0, UInt64(1)), (count - 1, 1 << 63), (count / 2, 3 << 62)] {
            var (wrongFull, wrongShares) = (full, shares)
            wrongFull.tables[0].e[pair] &+= error
            wrongShares[0].tables[0].e[pair] &+= error
            #expect(!wrongFull.holds())
            #expect(await !Self.run(full: wrongFull, shares: wrongShares, seed: seed &+ 8))
        }
        for index in [0, 1, layout.grid.size - 2] {
            #expect(
                await !Self.run(
                    full: full, shares: shares, seed: seed &+ 9,
                    tamperFirst: { $0[index].coefficients[7] &+= 1 << 63 }))
        }
    }

    @Test("gates and tables in one statement: three parts, each caught when wrong")
    func tablesBesideGates() async {
        var (full, shares) = Self.mixed(seed: 91)
        for (index, shape) in [(2, 3, 500), (1, 4, 100)].enumerated() {
            let table = Self.table(rows: shape.0, columns: shape.1, length: shape.2, seed: 92 + UInt64(index))
            let t = table.full.tables[0]
            full.append(rows: t.rows, columns: t.columns, e: t.e, length: t.length)
            for i in 0..<2 {
                let s = table.shares[i].tables[0]
                shares[i].append(rows: s.rows, columns: s.columns, e: s.e, length: s.length)
            }
        }
        #expect(full.holds())
        let layout = ProductProof.Layout(full, variables: ProductProof.variables(terms: full.terms))
        #expect(layout.parts.map(\.isTables) == [false, false, true])
        #expect(await Self.run(full: full, shares: shares, seed: 93))
        // A wrong pair of the second table; a wrong narrow gate.
        var (wrongFull, wrongShares) = (full, shares)
        wrongFull.tables[1].e[3] &+= 1 << 62
        wrongShares[1].tables[1].e[3] &+= 1 << 62
        #expect(await !Self.run(full: wrongFull, shares: wrongShares, seed: 94))
        (wrongFull, wrongShares) = (full, shares)
        wrongFull.e[5] &+= 1
        wrongShares[0].e[5] &+= 1
        #expect(await !Self.run(full: wrongFull, shares: wrongShares, seed: 95))
    }

    @Test(
        "a wrong message is rejected, whatever the error (zero divisors included) and wherever it sits",
        arguments: [UInt64(1), 2, 1 << 63, 1 << 40, UInt64.max, 3 << 62])
    func wrongMessage(_ error: UInt64) async {
        for (gate, seed) in [(0, UInt64(21)), (17, 22), (99, 23)] {
            var (full, shares) = Self.statement(gates: 100, terms: 1, seed: seed)
            // The message zᵢ moves e in both the prover's statement and the receiving verifier's share.
            full.e[gate] &+= error
            shares[0].e[gate] &+= error
            #expect(!full.holds())
            #expect(await !Self.run(full: full, shares: shares, seed: seed))
        }
    }

    @Test("a prover that alters any round's message is rejected")
    func wrongRound() async {
        let (full, shares) = Self.statement(gates: 40, terms: 2, seed: 31)
        let variables = ProductProof.variables(terms: full.terms)
        let rows = ProductProof.Layout(full, variables: variables)
        // Every grid point: the rows' own values (one of them derived), and those off {0,1}^m.
        for index in 0..<(rows.grid.size - 1) * rows.parts.count {
            #expect(
                await !Self.run(
                    full: full, shares: shares, seed: 34, tamperFirst: { $0[index].coefficients[5] &+= 1 << 63 }))
        }
        // Every value of every round, in rounds of one, two and three variables.
        let length = ProductProof.tailLength(positions: rows.positions)
        for schedule in [
            { (length: Int) in ProductProof.roundVariables(length: length, binaryAbove: .max, variables: 1) },
            { (length: Int) in ProductProof.roundVariables(length: length, binaryAbove: .max, variables: 2) },
            { (length: Int) in ProductProof.roundVariables(length: length, binaryAbove: .max, variables: 3) },
        ] {
            for (round, variables) in schedule(length).enumerated() {
                for index in 0..<(ProductProof.Grid.of(variables: variables).size - 1) {
                    #expect(
                        await !Self.run(
                            full: full, shares: shares, seed: 32, schedule: schedule,
                            tamper: { r, values in if r == round { values[index].coefficients[3] &+= 1 << 63 } }),
                        "round \(round) of \(variables) variables, value \(index)")
                    #expect(
                        await !Self.run(
                            full: full, shares: shares, seed: 33, schedule: schedule,
                            tamper: { r, values in if r == round { values[index].coefficients[0] &+= 1 } }))
                }
            }
        }
    }

    @Test("rounds of one to three variables: every variable folded once, the same vectors and claims as binary rounds")
    func roundSchedules() async {
        #expect(ProductProof.roundVariables(length: 1, binaryAbove: .max, variables: 3) == [])
        #expect(ProductProof.roundVariables(length: 1 << 7, binaryAbove: .max, variables: 3) == [3, 3, 1])
        #expect(ProductProof.roundVariables(length: 1 << 10, binaryAbove: 1 << 6, variables: 3) == [1, 1, 1, 1, 3, 3])
        #expect(ProductProof.rounds(length: 1 << 15) == [1, 1, 1, 3, 3, 3, 3])
        let (full, shares) = Self.statement(gates: 3000, terms: 1, seed: 35)
        for variables in 1...3 {
            #expect(
                await Self.run(
                    full: full, shares: shares, seed: 36,
                    schedule: { ProductProof.roundVariables(length: $0, binaryAbove: .max, variables: variables) }),
                "rounds of \(variables) variables")
        }
        #expect(
            await Self.run(
                full: full, shares: shares, seed: 37,
                schedule: { ProductProof.roundVariables(length: $0, binaryAbove: 8, variables: 2) }))
    }

    @Test("the verifiers' opened values differ from run to run (the mask hides the statement)")
    func masked() async {
        let rows = ProductProof.Layout(Self.statement(gates: 8, terms: 1, seed: 41).full, variables: 2)
        let weights = rows.weights(seed: [7, 2])
        func opened(_ seed: UInt64) -> GaloisRing.Element {
            var prg = PRG(key: PRG.key(words: [seed, 1]))
            let mask = GaloisRing.Element.random(&prg)
            var challenges = PRG(key: PRG.key(words: [7, 3]))
            let length = ProductProof.tailLength(positions: rows.positions)
            var vectors = rows.folded(
                weights, challenge: ProductProof.firstChallenge(&challenges, count: rows.firstChallengeCount),
                maskU: mask, maskV: mask,
                length: length)
            for _ in 0..<length.trailingZeroBitCount { vectors.fold([ProductProof.challenge(&challenges)]) }
            return vectors.last.u
        }
        // Same statement, same challenges, different masks: different opened u.
        #expect(opened(1) != opened(2))
    }

    @Test(
        "the grid {0,1,∞}^m: rows extend to a product's values and p(r) from the grid is the polynomial at r",
        arguments: 1...ProductProof.maxVariables)
    func grid(variables: Int) async {
        let grid = ProductProof.Grid.of(variables: variables)
        var generator = SplitMix64(seed: UInt64(60 + variables))
        // Two multilinear polynomials by their values on the rows, and their product q of degree ≤ 2 per variable.
        let f = (0..<grid.rows).map { _ in generator.next() }
        let g = (0..<grid.rows).map { _ in generator.next() }
        var (extendedF, extendedG) = (
            [UInt64](repeating: 0, count: grid.size), [UInt64](repeating: 0, count: grid.size)
        )
        consort_ring_extend_grid(f, grid.plan, grid.size, &extendedF)
        consort_ring_extend_grid(g, grid.plan, grid.size, &extendedG)
        for row in 0..<grid.rows { #expect(extendedF[grid.point(ofRow: row)] == f[row]) }
        let r = (0..<variables).map { _ in generator.next() & GaloisRing.exceptionalMask }
        // f(r) straight from its row values and the multilinear basis, against the grid's evaluation of f·g.
        let basis = grid.rowBasis(at: r)
        func atR(_ values: [UInt64]) -> GaloisRing.Element {
            zip(basis, values).reduce(GaloisRing.Element.zero) { $0 + $1.0.scaled(by: $1.1) }
        }
        let product = zip(extendedF, extendedG).map { GaloisRing.Element(constant: $0 &* $1) }
        #expect(grid.evaluate(product, at: r) == atR(f) * atR(g))
        // The basis sums to 1 (Π(r_i + 1 − r_i)), and the mask's points are those with no coordinate 1.
        #expect(basis.reduce(GaloisRing.Element.zero, +) == GaloisRing.Element(constant: 1))
        let maskPoints = (0..<grid.size).filter(grid.carriesMask)
        #expect(maskPoints.count == 1 << variables && maskPoints.first == 0)
        let origin = basis[0]
        let squared = (0..<grid.size).map { grid.carriesMask($0) ? GaloisRing.Element(constant: 1) : .zero }
        #expect(grid.evaluate(squared, at: r) == origin * origin)
    }
}

extension ProductProof.Layout.Part {
    /// Whether the part is the statement's tables (`ProductProof.Tables`).
    var isTables: Bool {
        if case .tables = self { return true }
        return false
    }
}
