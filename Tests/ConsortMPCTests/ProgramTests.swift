import ConsortMPC
import ConsortTesting
import Foundation
import Testing

@Suite("Shuffle, sort, division, square root, statistics")
struct ProgramTests {
    @Test("shuffle keeps rows together and returns a permutation", arguments: [1, 2, 100, 1000])
    func shuffle(_ rows: Int) async throws {
        let key = (0..<rows).map { UInt64($0) }
        let payload = key.map { $0 &* 1_000_003 &+ 7 }
        let keys = MPCHarness.shares(key)
        let payloads = MPCHarness.shares(payload)
        let results = try await MPCHarness.run { session in
            try await session.shuffle([keys[session.party], payloads[session.party]])
        }
        let shuffledKey = try MPCHarness.reveal(results.map { $0[0] })
        let shuffledPayload = try MPCHarness.reveal(results.map { $0[1] })
        #expect(shuffledKey.sorted() == key)
        #expect(zip(shuffledKey, shuffledPayload).allSatisfy { $0 &* 1_000_003 &+ 7 == $1 })
        if rows >= 100 { #expect(shuffledKey != key) }
    }

    @Test("sort of a column and of rows by a key column, with duplicate keys", arguments: [2, 63, 500])
    func sort(_ rows: Int) async throws {
        var generator = SeededGenerator(seed: UInt64(rows))
        let key = (0..<rows).map { _ in UInt64.random(in: 0..<(1 << 20), using: &generator) / 8 * 8 }
        let payload = key.map { $0 ^ 0xABCD }
        let keys = MPCHarness.shares(key)
        let payloads = MPCHarness.shares(payload)
        let results = try await MPCHarness.run { session in
            try await session.sort(key: keys[session.party], payload: [payloads[session.party]], keyBits: 20)
        }
        let sortedKey = try MPCHarness.reveal(results.map(\.key))
        let sortedPayload = try MPCHarness.reveal(results.map { $0.payload[0] })
        #expect(sortedKey == key.sorted())
        #expect(zip(sortedKey, sortedPayload).allSatisfy { $0 ^ 0xABCD == $1 })
    }

    @Test("a shuffle in groups of columns and a sort comparing a slice at a time give what one batch gives")
    func slicedShuffleAndSort() async throws {
        var generator = SeededGenerator(seed: 77)
        let rows = 1000
        let key = (0..<rows).map { _ in UInt64.random(in: 0..<(1 << 20), using: &generator) / 4 * 4 }
        let payloads = (0..<3).map { p in key.map { $0 &* UInt64(p + 3) &+ 1 } }
        let keys = MPCHarness.shares(key)
        let shared = payloads.map { MPCHarness.shares($0) }
        let results = try await MPCHarness.run { session in
            // One column per shuffle group; 128 comparisons per slice (levels of ~1000 take 8 slices).
            session.shuffleGroupElements = rows
            session.comparisonSliceElements = 128
            let shuffled = try await session.shuffle([keys[session.party]] + shared.map { $0[session.party] })
            let sorted = try await session.sort(
                key: keys[session.party], payload: shared.map { $0[session.party] }, keyBits: 20)
            return (shuffled, sorted)
        }
        let shuffledKey = try MPCHarness.reveal(results.map { $0.0[0] })
        #expect(shuffledKey.sorted() == key.sorted() && shuffledKey != key)
        for p in 0..<3 {
            let column = try MPCHarness.reveal(results.map { $0.0[p + 1] })
            #expect(zip(shuffledKey, column).allSatisfy { $0 &* UInt64(p + 3) &+ 1 == $1 })
        }
        let sortedKey = try MPCHarness.reveal(results.map(\.1.key))
        #expect(sortedKey == key.sorted())
        for p in 0..<3 {
            let column = try MPCHarness.reveal(results.map { $0.1.payload[p] })
            #expect(zip(sortedKey, column).allSatisfy { $0 &* UInt64(p + 3) &+ 1 == $1 })
        }
    }

    @Test("exact integer division, by shared and by public divisors")
    func division() async throws {
        var generator = SeededGenerator(seed: 31)
        let bits = 40
        let n: [UInt64] =
            [0, 1, 7, (1 << 40) - 1, 123_456_789]
            + (0..<20).map { _ in UInt64.random(in: 0..<(1 << 40), using: &generator) }
        let d: [UInt64] =
            [1, 1, 7, 3, 1 << 20] + (0..<20).map { _ in UInt64.random(in: 1..<(1 << 30), using: &generator) }
        let ns = MPCHarness.shares(n)
        let ds = MPCHarness.shares(d)
        let results = try await MPCHarness.run { session in
            (
                try await session.divide(
                    ns[session.party], by: ds[session.party], bits: bits, quotientBits: nil, divisorBits: nil),
                try await session.divide(
                    ns[session.party], byPublic: d.map { Int64($0) }, bits: bits, quotientBits: nil)
            )
        }
        let expected = zip(n, d).map { $0 / $1 }
        #expect(try MPCHarness.reveal(results.map(\.0)) == expected)
        #expect(try MPCHarness.reveal(results.map(\.1)) == expected)

        // With bounds on the quotient and divisor, fewer steps; the quotient must still be exact at the bound's edge.
        let small: [UInt64] = [0, (1 << 12) - 1, 1 << 12, (1 << 30) + 5, (1 << 32) - 1]
        let divisors: [UInt64] = [5, 1, 1, 1 << 18, (1 << 20) - 1]
        let smalls = MPCHarness.shares(small)
        let divisorShares = MPCHarness.shares(divisors)
        let bounded = try await MPCHarness.run { session in
            (
                try await session.divide(
                    smalls[session.party], by: divisorShares[session.party], bits: 40, quotientBits: 13, divisorBits: 20
                ),
                try await session.divide(
                    smalls[session.party], byPublic: divisors.map { Int64($0) }, bits: 40, quotientBits: 13)
            )
        }
        #expect(try MPCHarness.reveal(bounded.map(\.0)) == zip(small, divisors).map { $0 / $1 })

        // Fractional division: 40 binary places without scaling the dividend (n up to 2^40, d up to 2^20).
        let fractional = try await MPCHarness.run { session in
            try await session.divideWithFraction(
                smalls[session.party], by: divisorShares[session.party], bits: 40, quotientBits: 13,
                divisorBits: 20, fractionBits: 40)
        }
        let quotients = try MPCHarness.reveal(fractional.map(\.quotient))
        let fractions = try MPCHarness.reveal(fractional.map(\.fraction))
        for index in small.indices {
            let (n, d) = (small[index], divisors[index])
            #expect(quotients[index] == n / d)
            // ⌊(n mod d) · 2^40 / d⌋, computed exactly in 128 bits.
            let exact = UInt64(((UInt128(n % d) << 40) / UInt128(d)))
            #expect(fractions[index] == exact, "\(n) / \(d)")
        }
        #expect(try MPCHarness.reveal(bounded.map(\.1)) == zip(small, divisors).map { $0 / $1 })
    }

    @Test("exact integer square root and fixed-point division with negatives")
    func squareRootAndFixedDivision() async throws {
        let n: [UInt64] = [0, 1, 2, 3, 4, 15, 16, 17, 1 << 40, (1 << 40) - 1, 999_999_999_999]
        let ns = MPCHarness.shares(n)
        let fp = FixedPoint.standard
        let x: [Double] = [10, -10, 1, -0.5, 12345.678, 0]
        let y: [Double] = [3, 3, 7, 0.25, 0.001, 5]
        let xs = MPCHarness.shares(fp.encode(x))
        let ys = MPCHarness.shares(fp.encode(y))
        let results = try await MPCHarness.run { session in
            (
                try await session.squareRoot(ns[session.party], bits: 40 + 2),
                try await session.divideFixed(xs[session.party], by: ys[session.party], bits: 48)
            )
        }
        #expect(try MPCHarness.reveal(results.map(\.0)) == n.map { UInt64(Double($0).squareRoot().rounded(.down)) })
        let quotients = fp.decode(try MPCHarness.reveal(results.map(\.1)))
        for (index, quotient) in quotients.enumerated() {
            let exact = fp.decode(fp.encode(x[index])) / fp.decode(fp.encode(y[index]))
            #expect(abs(quotient - exact) <= 1 / fp.scale, "\(x[index]) / \(y[index]) = \(quotient), exact \(exact)")
        }
    }

    @Test(
        "division and square root take 4 bits a step for few elements and 2 for many: both exact, at every leftover width",
        arguments: [5, 300])
    func divisionStepWidths(count: Int) async throws {
        var generator = SeededGenerator(seed: UInt64(count))
        // Edge values first, then random ones of every width up to the bound.
        let n: [UInt64] =
            [0, 1, (1 << 40) - 1, 1 << 39, (1 << 40) - 2]
            + (5..<count).map { _ in
                UInt64.random(in: 0..<(1 << UInt64.random(in: 1...40, using: &generator)), using: &generator)
            }
        let d: [UInt64] =
            [1, 1, 1, (1 << 20) - 1, 3]
            + (5..<count).map { _ in
                UInt64.random(in: 1..<(1 << UInt64.random(in: 1...20, using: &generator)), using: &generator)
            }
        let (ns, ds) = (MPCHarness.shares(n), MPCHarness.shares(d))
        for quotientBits in [40, 39, 38, 37] {  // 4-bit steps and leftovers of 3, 2 and 1 bits (2-bit steps: 0 and 1)
            let results = try await MPCHarness.run { session in
                (
                    try await session.divide(
                        ns[session.party], by: ds[session.party], bits: 40, quotientBits: quotientBits,
                        divisorBits: nil),
                    try await session.divideWithFraction(
                        ns[session.party], by: ds[session.party], bits: 40, quotientBits: quotientBits,
                        divisorBits: 20, fractionBits: quotientBits - 20)
                )
            }
            // Quotients above the bound are not asked for: compare where n / d < 2^quotientBits.
            let quotients = try MPCHarness.reveal(results.map(\.0))
            let wholes = try MPCHarness.reveal(results.map(\.1.quotient))
            let fractions = try MPCHarness.reveal(results.map(\.1.fraction))
            for index in n.indices where n[index] / d[index] < 1 << UInt64(quotientBits) {
                #expect(quotients[index] == n[index] / d[index], "\(n[index]) / \(d[index]), \(quotientBits) bits")
                #expect(wholes[index] == n[index] / d[index])
                let exact = UInt64((UInt128(n[index] % d[index]) << UInt128(quotientBits - 20)) / UInt128(d[index]))
                #expect(fractions[index] == exact, "\(n[index]) / \(d[index]) to \(quotientBits - 20) places")
            }
        }
        for bits in [40, 38, 36, 34] {  // 20, 19, 18 and 17 root bits
            let values = n.map { $0 & ((1 << UInt64(bits)) - 1) }
            let shares = MPCHarness.shares(values)
            let roots = try await MPCHarness.run { session in
                try await session.squareRoot(shares[session.party], bits: bits)
            }
            let expected = values.map { value in
                var root = UInt64(Double(value).squareRoot())
                while root * root > value { root -= 1 }
                while (root + 1) * (root + 1) <= value { root += 1 }
                return root
            }
            #expect(try MPCHarness.reveal(roots) == expected, "\(bits)-bit square roots")
        }
    }

    @Test("summary statistics match plaintext within one unit in the last place")
    func statistics() async throws {
        var generator = SeededGenerator(seed: 99)
        let values = (0..<5000).map { _ in UInt64.random(in: 0..<1000, using: &generator) }
        let shares = MPCHarness.shares(values)
        let results = try await MPCHarness.run { session in
            try await session.summaryStatistics(shares[session.party], valueBits: 10)
        }
        let fp = FixedPoint.standard
        let sum = try MPCHarness.reveal(results.map(\.sum))[0]
        let squares = try MPCHarness.reveal(results.map(\.sumOfSquares))[0]
        let mean = fp.decode(try MPCHarness.reveal(results.map(\.mean))[0])
        let variance = fp.decode(try MPCHarness.reveal(results.map(\.variance))[0])
        let exactMean = Double(values.reduce(0, +)) / Double(values.count)
        let exactVariance = values.map { pow(Double($0) - exactMean, 2) }.reduce(0, +) / Double(values.count)
        #expect(sum == values.reduce(0, +))
        #expect(squares == values.reduce(0) { $0 + $1 * $1 })
        #expect(abs(mean - exactMean) <= 1 / fp.scale)
        #expect(abs(variance - exactVariance) <= 2 * exactMean / fp.scale + 2 / fp.scale)
    }

    @Test("a lost peer fails every party with peerLost, never a hang")
    func peerLost() async throws {
        let network = InMemoryNetwork()
        let x = MPCHarness.shares(ringValues(100, seed: 5))
        await #expect(throws: MPCError(.peerLost, "")) {
            _ = try await MPCHarness.run(network: network) { session in
                _ = try await session.multiply(x[session.party], x[session.party])
                if session.party == 2 { network.disconnect(2) }
                return try await session.lessThan(x[session.party], x[session.party])
            }
        }
    }
}
