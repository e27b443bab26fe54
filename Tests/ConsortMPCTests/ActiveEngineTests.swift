import Testing

@testable import ConsortMPC

/// The actively secure replicated engine over in-memory links: honest runs equal plaintext, and one cheating party —
/// each of the three, each way of cheating — is caught by the honest parties before anything is opened.
@Suite("Active replicated engine", .serialized)
struct ActiveEngineTests {
    /// How one party's run ended.
    enum Outcome: Sendable {
        case finished([UInt64])
        case failed(MPCError)
    }

    /// Runs `body` on three active sessions; `cheater` deviates once as `deviation`.
    static func run(
        batchTerms: Int = 1 << 16, cheater: Int? = nil, deviation: Replicated3.Deviation? = nil,
        _ body: @escaping @Sendable (inout Replicated3.ActiveEngine) async throws -> [UInt64]
    ) async -> [Outcome] {
        let network = InMemoryNetwork()
        return await withTaskGroup(of: (Int, Outcome).self) { group in
            for party in 0..<3 {
                group.addTask {
                    do {
                        var engine = try await Replicated3.ActiveEngine.establish(
                            transport: network.transport(for: party), batchTerms: batchTerms)
                        if party == cheater { engine.inner.deviation = deviation }
                        let result = try await body(&engine)
                        try await engine.finish()
                        return (party, .finished(result))
                    } catch let error as MPCError {
                        network.disconnect(party)
                        return (party, .failed(error))
                    } catch {
                        network.disconnect(party)
                        return (party, .failed(MPCError(.protocolViolation, "\(error)")))
                    }
                }
            }
            var outcomes = [Outcome?](repeating: nil, count: 3)
            for await (party, outcome) in group { outcomes[party] = outcome }
            return outcomes.map { $0! }
        }
    }

    @Test(
        "multiplication, inner products and opening equal plaintext, with ring edge values", arguments: [1, 64, 1000])
    func honest(_ count: Int) async throws {
        let x = ringValues(count, seed: 51)
        let y = ringValues(count, seed: 52).reversed().map { $0 }
        let shares = (Replicated3.share(x).shares, Replicated3.share(y).shares)
        let outcomes = await Self.run(batchTerms: 300) { engine in
            let p = engine.party
            let product = try await engine.multiply(shares.0[p], shares.1[p])
            let square = try await engine.multiply(product, product)
            let dots = try await engine.innerProducts([(shares.0[p], shares.1[p]), (product, shares.0[p])])
            let opened = try await engine.open(square) + engine.open(dots)
            return opened.map { UInt64(bitPattern: $0) }
        }
        let products = zip(x, y).map { $0 &* $1 }
        let expected =
            products.map { $0 &* $0 }
            + [zip(x, y).reduce(0) { $0 &+ $1.0 &* $1.1 }, zip(products, x).reduce(0) { $0 &+ $1.0 &* $1.1 }]
        ActiveEngineTests.expectFinished(outcomes, with: expected)
    }

    @Test(
        "a table of inner products equals plaintext, alone and in a batch with other products",
        arguments: [0, 1, 64, 1000])
    func table(_ length: Int) async throws {
        let rows = (0..<3).map { ringValues(length, seed: 70 + UInt64($0)) }
        let columns = (0..<4).map { ringValues(length, seed: 80 + UInt64($0)).reversed().map { $0 } }
        let rowShares = rows.map { Replicated3.share($0).shares }
        let columnShares = columns.map { Replicated3.share($0).shares }
        let outcomes = await Self.run(batchTerms: 300) { engine in
            let p = engine.party
            let table = try await engine.innerProducts(
                rows: rowShares.map { $0[p] }, columns: columnShares.map { $0[p] })
            let product = try await engine.multiply(rowShares[0][p], columnShares[0][p])
            let again = try await engine.innerProducts(rows: [product], columns: [columnShares[1][p]])
            return try await (engine.open(table) + engine.open(again)).map { UInt64(bitPattern: $0) }
        }
        func dot(_ x: [UInt64], _ y: [UInt64]) -> UInt64 { zip(x, y).reduce(0) { $0 &+ $1.0 &* $1.1 } }
        let expected =
            rows.flatMap { row in columns.map { dot(row, $0) } }
            + [dot(zip(rows[0], columns[0]).map { $0 &* $1 }, columns[1])]
        ActiveEngineTests.expectFinished(outcomes, with: expected)
    }

    @Test(
        "a cheater in a table of inner products is caught",
        arguments: [Replicated3.Deviation.wrongProduct, .flipProofBit, .wrongFinalShare], [0, 1, 2])
    func cheatingInTable(_ deviation: Replicated3.Deviation, _ cheater: Int) async throws {
        let vectors = (0..<5).map { Replicated3.share(ringValues(300, seed: 90 + UInt64($0))).shares }
        let outcomes = await Self.run(batchTerms: 1 << 16, cheater: cheater, deviation: deviation) { engine in
            let p = engine.party
            let table = try await engine.innerProducts(
                rows: vectors[0..<2].map { $0[p] }, columns: vectors[2..<5].map { $0[p] })
            return try await engine.open(table).map { UInt64(bitPattern: $0) }
        }
        Self.expectCaught(outcomes, cheater: cheater, deviation: deviation)
    }

    @Test("a computing party's input is checked like any other share", arguments: [0, 1, 2])
    func input(_ owner: Int) async throws {
        let values: [Int64] = [5, -7, .max, .min, 0]
        let outcomes = await Self.run { engine in
            let x = try await engine.input(engine.party == owner ? values : nil, from: owner, count: values.count)
            let doubled = try await engine.multiply(x, engine.constant(.repeating(2, count: values.count)))
            return try await engine.open(doubled).map { UInt64(bitPattern: $0) }
        }
        for outcome in outcomes {
            guard case .finished(let opened) = outcome else {
                Issue.record("an honest run failed: \(outcome)")
                continue
            }
            #expect(opened == values.map { UInt64(bitPattern: $0 &* 2) })
        }
    }

    @Test(
        "one cheating party is caught by both honest parties, nothing is opened, no honest party is blamed alone",
        arguments: [
            Replicated3.Deviation.wrongProduct, .flipProofBit, .wrongChallenge, .wrongFinalShare, .wrongOpening,
            .skipCheck,
        ],
        [0, 1, 2])
    func cheating(_ deviation: Replicated3.Deviation, _ cheater: Int) async throws {
        let x = ringValues(200, seed: 61)
        let y = ringValues(200, seed: 62)
        let shares = (Replicated3.share(x).shares, Replicated3.share(y).shares)
        let outcomes = await Self.run(batchTerms: 1 << 16, cheater: cheater, deviation: deviation) { engine in
            let p = engine.party
            let product = try await engine.multiply(shares.0[p], shares.1[p])
            let dots = try await engine.innerProducts([(product, shares.1[p])])
            return try await (engine.open(product) + engine.open(dots)).map { UInt64(bitPattern: $0) }
        }
        Self.expectCaught(outcomes, cheater: cheater, deviation: deviation)
    }

    /// Every party finished honestly with `expected`.
    static func expectFinished(_ outcomes: [Outcome], with expected: [UInt64]) {
        for outcome in outcomes {
            guard case .finished(let values) = outcome else {
                Issue.record("an honest run failed: \(outcome)")
                continue
            }
            #expect(values == expected)
        }
    }

    /// Every honest party failed; each that names suspects names the cheater and not itself; at least one honest party
    /// detected the deviation itself (not only saw a peer leave).
    static func expectCaught(_ outcomes: [Outcome], cheater: Int, deviation: Replicated3.Deviation) {
        for party in 0..<3 where party != cheater {
            guard case .failed(let error) = outcomes[party] else {
                Issue.record("honest party \(party) finished although party \(cheater) cheated (\(deviation))")
                continue
            }
            if error.code == .cheatingDetected || error.code == .protocolViolation {
                #expect(error.suspects.contains(cheater), "party \(party): \(error.message)")
                #expect(error.suspects.count <= 2 && !error.suspects.contains(party))
            } else {
                #expect(error.code == .peerLost, "party \(party): \(error.debugDescription)")
            }
        }
        let detected = (0..<3).filter { $0 != cheater }.contains { party in
            if case .failed(let error) = outcomes[party] { return !error.suspects.isEmpty }
            return false
        }
        #expect(detected, "no honest party named a suspect for \(deviation) by party \(cheater)")
    }

    @Test("dealt shares are compared component by component before use: one altered copy stops every party")
    func dealtInputs() async throws {
        let shares = Replicated3.share(ringValues(100, seed: 91)).shares
        let fine = await Self.run { engine in
            try await engine.verifyInputs([shares[engine.party]])
            return try await engine.open(shares[engine.party]).map { UInt64(bitPattern: $0) }
        }
        for outcome in fine {
            guard case .finished(let values) = outcome else {
                Issue.record("consistent shares were refused: \(outcome)")
                continue
            }
            #expect(values == ringValues(100, seed: 91))
        }
        for party in 0..<3 {
            var tampered = shares
            tampered[party].next[42] &+= 1
            let altered = tampered
            let outcomes = await Self.run { engine in
                try await engine.verifyInputs([altered[engine.party]])
                return []
            }
            // The holder of the other copy notices; the others stop because it left.
            guard case .failed(let error) = outcomes[Replicated3.next(party)] else {
                Issue.record("party \(Replicated3.next(party)) accepted an altered copy")
                continue
            }
            #expect(error.code == .inconsistentShares, "\(error.debugDescription)")
            for outcome in outcomes {
                if case .finished = outcome { Issue.record("a party finished with inconsistent input shares") }
            }
        }
    }

    @Test("the proofs run in batches: a product count above the batch size is checked in several proofs")
    func batches() async throws {
        let x = ringValues(1000, seed: 71)
        let shares = Replicated3.share(x).shares
        let counts = await withTaskGroup(of: (Int, Int).self) { group in
            let network = InMemoryNetwork()
            for party in 0..<3 {
                group.addTask {
                    var engine = try! await Replicated3.ActiveEngine.establish(
                        transport: network.transport(for: party), batchTerms: 256)
                    _ = try! await engine.multiply(shares[party], shares[party])
                    _ = try! await engine.multiply(shares[party], shares[party])
                    try! await engine.finish()
                    return (engine.verifiedProducts, engine.proofs)
                }
            }
            var results: [(Int, Int)] = []
            for await result in group { results.append(result) }
            return results
        }
        for (verified, proofs) in counts {
            #expect(verified == 2000)
            #expect(proofs == 2)
        }
    }
}

/// The boolean steps under the active engine: comparison, equality, truncation, bit decomposition, division and square
/// root equal plaintext, and cheating in any of their messages is caught.
@Suite("Active replicated engine: comparisons and the operations built on them", .serialized)
struct ActiveComparisonTests {
    /// 140 values, so each of the three parties owns a share of the one-sided work (it rotates per 64 elements);
    /// edge values first.
    static let x: [Int64] =
        [0, 1, -1, 5, -5, 1 << 40, -(1 << 40), (1 << 61) - 1, -((1 << 61) - 1), 77, 12345, -3]
        + signedValues(128, bound: 61, seed: 81).map { Int64(bitPattern: $0) }
    static let y: [Int64] =
        [0, 2, -1, -5, 5, 1 << 40, 1 << 39, -((1 << 61) - 1), 0, 78, 12344, -3]
        + signedValues(128, bound: 61, seed: 82).map { Int64(bitPattern: $0) }

    static func run(
        cheater: Int? = nil, deviation: Replicated3.Deviation? = nil,
        _ body:
            @escaping @Sendable (inout Replicated3.ActiveEngine, Replicated3.Share, Replicated3.Share) async throws
            -> [Replicated3.Share]
    ) async -> [ActiveEngineTests.Outcome] {
        let xs = Replicated3.share(Self.x.map { UInt64(bitPattern: $0) }).shares
        let ys = Replicated3.share(Self.y.map { UInt64(bitPattern: $0) }).shares
        return await ActiveEngineTests.run(batchTerms: 4096, cheater: cheater, deviation: deviation) { engine in
            let results = try await body(&engine, xs[engine.party], ys[engine.party])
            return try await engine.open(.concatenate(results)).map { UInt64(bitPattern: $0) }
        }
    }

    @Test("comparison, equality, truncation, bit decomposition equal plaintext")
    func comparisons() async throws {
        let outcomes = await Self.run { engine, x, y in
            [
                try await engine.lessThan(x, y, bits: 64), try await engine.lessThanZero(x, bits: 64),
                try await engine.equal(x, y, bits: 64), try await engine.truncate(x, by: 3),
                try await engine.bitDecompose(engine.adding(x, .repeating(1 << 62, count: x.count)), bits: 8),
            ]
        }
        let x = Self.x
        let y = Self.y
        let expected: [Int64] =
            zip(x, y).map { $0 < $1 ? 1 : 0 } + x.map { $0 < 0 ? 1 : 0 } + zip(x, y).map { $0 == $1 ? 1 : 0 }
            + x.map { $0 >> 3 } + (0..<8).flatMap { bit in x.map { (($0 &+ (1 << 62)) >> Int64(bit)) & 1 } }
        ActiveEngineTests.expectFinished(outcomes, with: expected.map { UInt64(bitPattern: $0) })
    }

    @Test(
        "any negative per span equals plaintext; a party cheating in its AND gates is caught",
        arguments: [nil, 0, 1, 2])
    func anyNegative(cheater: Int?) async throws {
        let spans = [0..<0, 0..<3, 3..<5, 5..<64, 7..<8, 8..<9, 64..<140, 0..<140, 100..<101]
        let outcomes = await Self.run(cheater: cheater, deviation: cheater == nil ? nil : .wrongAnd) { engine, x, _ in
            [try await engine.lessThanZero(x, bits: 64), try await engine.anyNegative(x, bits: 64, spans: spans)]
        }
        if let cheater {
            ActiveEngineTests.expectCaught(outcomes, cheater: cheater, deviation: .wrongAnd)
            return
        }
        let negative = Self.x.map { $0 < 0 }
        let expected = negative.map { $0 ? Int64(1) : 0 } + spans.map { span in span.contains { negative[$0] } ? 1 : 0 }
        ActiveEngineTests.expectFinished(outcomes, with: expected.map { UInt64(bitPattern: $0) })
    }

    @Test(
        "a comparison of 5000 elements (blocks of ripple carries) equals plaintext; a cheater in its AND gates is caught",
        arguments: [nil, 0, 1, 2])
    func longComparison(cheater: Int?) async throws {
        let x = signedValues(5000, bound: 61, seed: 91)
        let y = signedValues(5000, bound: 61, seed: 92)
        let (xs, ys) = (Replicated3.share(x).shares, Replicated3.share(y).shares)
        let outcomes = await ActiveEngineTests.run(cheater: cheater, deviation: cheater == nil ? nil : .wrongAnd) {
            engine in
            let lt = try await engine.lessThan(xs[engine.party], ys[engine.party], bits: 64)
            return try await engine.open(lt).map { UInt64(bitPattern: $0) }
        }
        if let cheater {
            ActiveEngineTests.expectCaught(outcomes, cheater: cheater, deviation: .wrongAnd)
            return
        }
        let expected = zip(x, y).map { Int64(bitPattern: $0) < Int64(bitPattern: $1) ? UInt64(1) : 0 }
        ActiveEngineTests.expectFinished(outcomes, with: expected)
    }

    @Test(
        "a range check of 5000 elements (one sharing, one pass) equals plaintext; a cheater in it is caught",
        arguments: [
            (nil, nil), (0, Replicated3.Deviation.wrongAnd), (1, .wrongAnd), (2, .wrongAnd), (1, .wrongBits),
            (2, .wrongCarries), (0, .wrongConversion),
        ] as [(Int?, Replicated3.Deviation?)])
    func rangeCheck(cheater: Int?, deviation: Replicated3.Deviation?) async throws {
        let (x, spans, widths, outside) = CompareTests.rangeCase(count: 5000, bits: 64)
        let xs = Replicated3.share(x).shares
        let outcomes = await ActiveEngineTests.run(cheater: cheater, deviation: deviation) { engine in
            let any = try await engine.anyOutside(xs[engine.party], widths: widths, spans: spans, bits: 64)
            return try await engine.open(any).map { $0 > 0 ? 1 : 0 }
        }
        if let cheater, let deviation {
            ActiveEngineTests.expectCaught(outcomes, cheater: cheater, deviation: deviation)
            return
        }
        ActiveEngineTests.expectFinished(outcomes, with: outside.map { $0 ? 1 : 0 })
    }

    @Test("division and square root (built on comparisons) equal plaintext")
    func divisionAndRoot() async throws {
        let outcomes = await Self.run { engine, x, y in
            let numerators = engine.constant(.list([100, 7, 0, 1 << 20]))
            let divisors = engine.constant(.list([7, 7, 3, 1000]))
            return [
                try await engine.divide(numerators, by: divisors, bits: 24, quotientBits: nil, divisorBits: 12),
                try await engine.squareRoot(numerators, bits: 24),
            ]
        }
        for outcome in outcomes {
            guard case .finished(let values) = outcome else {
                Issue.record("an honest run failed: \(outcome)")
                continue
            }
            #expect(values == [14, 1, 0, 1048, 10, 2, 0, 1024])
        }
    }

    @Test(
        "a party cheating in an AND gate, a bit sharing or a conversion is caught; no honest party is blamed alone",
        arguments: [
            Replicated3.Deviation.wrongAnd, .wrongBits, .wrongCarries, .wrongConversion, .wrongChallenge, .flipProofBit,
            .wrongFinalShare, .skipCheck,
        ],
        [0, 1, 2])
    func cheating(_ deviation: Replicated3.Deviation, _ cheater: Int) async throws {
        // A comparison has all three boolean steps (bit sharing, AND gates, conversion).
        let outcomes = await Self.run(cheater: cheater, deviation: deviation) { engine, x, y in
            [try await engine.lessThan(x, y, bits: 64)]
        }
        ActiveEngineTests.expectCaught(outcomes, cheater: cheater, deviation: deviation)
    }
}

/// Shuffle and sort under the active engine: the rows come out permuted and intact, sorted where asked, and a party
/// that alters, reorders or mis-tags the rows it passes on is caught before anything is opened.
@Suite("Active replicated engine: shuffle and sort", .serialized)
struct ActiveShuffleTests {
    /// Three columns of ring values (edge values first) and a 20-bit key column, 150 rows.
    static let rows = 150
    static let columns: [[UInt64]] = (0..<3).map { ringValues(Self.rows, seed: 101 + UInt64($0)) }
    static let keys: [UInt64] = {
        var generator = SplitMix64(seed: 104)
        return (0..<Self.rows).map { _ in UInt64.random(in: 0..<(1 << 20), using: &generator) }
    }()

    static func run(
        cheater: Int? = nil, deviation: Replicated3.Deviation? = nil,
        _ body:
            @escaping @Sendable (inout Replicated3.ActiveEngine, [Replicated3.Share]) async throws -> [Replicated3
            .Share]
    ) async -> [ActiveEngineTests.Outcome] {
        let shared = (Self.columns + [Self.keys]).map { Replicated3.share($0).shares }
        return await ActiveEngineTests.run(batchTerms: 1 << 14, cheater: cheater, deviation: deviation) { engine in
            let results = try await body(&engine, shared.map { $0[engine.party] })
            return try await engine.open(.concatenate(results)).map { UInt64(bitPattern: $0) }
        }
    }

    /// The rows of `columns` (column-major, `rows` long) as tuples.
    static func rowsOf(_ values: [UInt64], columns: Int) -> [[UInt64]] {
        let rows = values.count / columns
        return (0..<rows).map { row in (0..<columns).map { values[$0 * rows + row] } }
    }

    @Test("a shuffle of three columns keeps every row whole and permutes them", arguments: [1, 2, 150])
    func shuffle(_ rows: Int) async throws {
        let outcomes = await Self.run { engine, columns in
            try await engine.shuffle(columns.prefix(3).map { $0.slice(0..<rows) })
        }
        let input = Self.rowsOf(Self.columns.flatMap { $0.prefix(rows) }, columns: 3)
        var opened: [[UInt64]] = []
        for outcome in outcomes {
            guard case .finished(let values) = outcome else {
                Issue.record("an honest run failed: \(outcome)")
                continue
            }
            let output = Self.rowsOf(values, columns: 3)
            #expect(
                output.sorted { $0.lexicographicallyPrecedes($1) } == input.sorted { $0.lexicographicallyPrecedes($1) })
            opened.append(values)
        }
        #expect(Set(opened).count == 1, "the parties opened different results")
        if rows == 150 { #expect(Self.rowsOf(opened.first ?? [], columns: 3) != input, "150 rows came out unmoved") }
    }

    @Test("a sort orders the rows by key and carries the payload along")
    func sort() async throws {
        let outcomes = await Self.run { engine, columns in
            let sorted = try await engine.sort(key: columns[3], payload: [columns[0]], keyBits: 20)
            return [sorted.key] + sorted.payload
        }
        let expected = zip(Self.keys, Self.columns[0]).sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        for outcome in outcomes {
            guard case .finished(let values) = outcome else {
                Issue.record("an honest run failed: \(outcome)")
                continue
            }
            let keys = Array(values[0..<Self.rows])
            #expect(keys == expected.map(\.0))
            // Rows with equal keys may come out in either order: compare the (key, payload) multiset too.
            let pairs = zip(keys, values[Self.rows...]).sorted { ($0.0, $0.1) < ($1.0, $1.1) }
            #expect(pairs.map(\.0) == expected.map(\.0) && pairs.map(\.1) == expected.map(\.1))
        }
    }

    @Test(
        "a party that alters, reorders or mis-tags the rows it passes on is caught; no honest party is blamed alone",
        arguments: [Replicated3.Deviation.wrongShuffle, .wrongPermutation, .wrongTag, .wrongOpening], [0, 1, 2])
    func cheating(_ deviation: Replicated3.Deviation, _ cheater: Int) async throws {
        let outcomes = await Self.run(cheater: cheater, deviation: deviation) { engine, columns in
            try await engine.shuffle(Array(columns.prefix(3)))
        }
        ActiveEngineTests.expectCaught(outcomes, cheater: cheater, deviation: deviation)
    }

    @Test("a party cheating in a sort's shuffle or its comparisons is caught", arguments: [0, 1, 2])
    func cheatingInSort(_ cheater: Int) async throws {
        for deviation in [Replicated3.Deviation.wrongShuffle, .wrongAnd] {
            let outcomes = await Self.run(cheater: cheater, deviation: deviation) { engine, columns in
                let sorted = try await engine.sort(key: columns[3], payload: [columns[0]], keyBits: 20)
                return [sorted.key] + sorted.payload
            }
            ActiveEngineTests.expectCaught(outcomes, cheater: cheater, deviation: deviation)
        }
    }
}
