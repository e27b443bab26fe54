import ConsortMPC
import ConsortTesting
import Testing

@Suite("Comparisons, equality, bit conversion, truncation")
struct CompareTests {
    @Test("bit matrices transpose and back")
    func bitMatrix() {
        let values = ringValues(200, seed: 9)
        let planes = BitMatrix.planes(values, bits: 64)
        #expect(BitMatrix.values(planes, bits: 64, count: 200) == values)
        let low = BitMatrix.values(BitMatrix.planes(values, bits: 13), bits: 13, count: 200)
        #expect(low == values.map { $0 & ((1 << 13) - 1) })
        #expect(BitMatrix.unpack(planes[(5 * 4)..<(6 * 4)], count: 200) == values.map { ($0 >> 5) & 1 })
    }

    @Test(
        "x < y and x < 0 for values within the stated range (5000: the sign bit by blocks of ripple carries)",
        arguments: [
            (64, 62, 300), (40, 38, 300), (8, 6, 300), (64, 62, 5000), (40, 38, 5000), (9, 7, 5000), (10, 8, 5000),
        ])
    func lessThan(_ bits: Int, _ bound: Int, _ count: Int) async throws {
        let x = signedValues(count, bound: bound, seed: UInt64(bits))
        let y = signedValues(count, bound: bound, seed: UInt64(bits) + 100).shuffled(using: &SeededGenerator.shared)
        let xs = MPCHarness.shares(x)
        let ys = MPCHarness.shares(y)
        let results = try await MPCHarness.run { session in
            (
                try await session.lessThan(xs[session.party], ys[session.party], bits: bits),
                try await session.lessThanZero(xs[session.party], bits: bits)
            )
        }
        let lt = try MPCHarness.reveal(results.map(\.0))
        let ltz = try MPCHarness.reveal(results.map(\.1))
        #expect(lt == zip(x, y).map { Int64(bitPattern: $0) < Int64(bitPattern: $1) ? 1 : 0 })
        #expect(ltz == x.map { Int64(bitPattern: $0) < 0 ? 1 : 0 })
    }

    /// Spans across word boundaries, inside one word, empty, whole, one element; negatives placed at their edges.
    static let spans = [
        0..<0, 0..<1, 1..<3, 3..<5, 5..<70, 64..<128, 70..<300, 0..<300, 127..<129, 200..<201, 299..<300,
    ]

    @Test("any negative per span is 1 exactly where a span holds a negative element", arguments: [64, 20])
    func anyNegative(_ bits: Int) async throws {
        var x = (0..<300).map { _ in UInt64(7) }
        for index in [2, 69, 128, 299] { x[index] = UInt64(bitPattern: -1) }
        x[250] = UInt64(bitPattern: -(Int64(1) << Int64(bits - 2)))
        x[5] = (UInt64(1) << UInt64(bits - 2)) - 1
        let xs = MPCHarness.shares(x)
        let results = try await MPCHarness.run { session in
            try await session.anyNegative(xs[session.party], bits: bits, spans: Self.spans)
        }
        let negative = x.map { Int64(bitPattern: $0) < 0 }
        #expect(try MPCHarness.reveal(results) == Self.spans.map { span in span.contains { negative[$0] } ? 1 : 0 })
    }

    /// Elements of spans of different widths: inside, at both ends, one past the top, negative, and far outside.
    static func rangeCase(count: Int, bits: Int) -> (x: [UInt64], spans: [Range<Int>], widths: [Int64], outside: [Bool])
    {
        let spans = [0..<(count / 3), (count / 3)..<(count / 3), (count / 3)..<(count / 2), (count / 2)..<count]
        let top = bits == 64 ? Int64.max : (Int64(1) << Int64(bits - 1)) - 1
        let widths: [Int64] = [120, 5, 0, top]
        var generator = SeededGenerator(seed: UInt64(count + bits))
        var x = [UInt64](repeating: 0, count: count)
        for (span, width) in zip(spans, widths) {
            for e in span { x[e] = UInt64(Int64.random(in: 0...width, using: &generator)) }
        }
        // The first span: its ends inside; one past the top, −1 and 2^(bits − 1) outside. The third (width 0): zeros,
        // inside. The last (the widest width): −1 and the lowest negative outside.
        x[0] = 0
        x[1] = 120
        x[5] = 121
        x[count / 3 - 1] = UInt64(bitPattern: -1)
        if count > 600 { x[300] = UInt64(1) << UInt64(bits - 1) }
        x[count / 3] = 0
        x[count - 1] = UInt64(bitPattern: -1)
        x[count / 2 + 7] = UInt64(bitPattern: 0 &- (top &+ 1))
        let mask: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        let outside = zip(spans, widths).map { span, width in span.contains { x[$0] & mask > UInt64(width) } }
        return (x, spans, widths, outside)
    }

    @Test(
        "any outside per span is 1 exactly where a span holds an element outside [0, width] (5000: one sharing, one pass)",
        arguments: [300, 5000], [64, 20])
    func anyOutside(_ count: Int, _ bits: Int) async throws {
        let (x, spans, widths, outside) = Self.rangeCase(count: count, bits: bits)
        #expect(outside == [true, false, false, true])
        let xs = MPCHarness.shares(x)
        let results = try await MPCHarness.run { session in
            try await session.anyOutside(xs[session.party], widths: widths, spans: spans, bits: bits)
        }
        #expect(try MPCHarness.reveal(results).map { $0 > 0 } == outside)
        // Only the values the bad rows hold make a span fail.
        var inside = x
        for index in [5, count / 3 - 1, 300, count - 1, count / 2 + 7] where index < count { inside[index] = 0 }
        let fixed = MPCHarness.shares(inside)
        let clean = try await MPCHarness.run { session in
            try await session.anyOutside(fixed[session.party], widths: widths, spans: spans, bits: bits)
        }
        #expect(try MPCHarness.reveal(clean) == [0, 0, 0, 0])
    }

    @Test("equality, including against public constants", arguments: [64, 9])
    func equality(_ bits: Int) async throws {
        let count = 257
        var generator = SeededGenerator(seed: 5)
        let bound: UInt64 = bits == 64 ? UInt64.max : (1 << UInt64(bits - 1))
        let x = (0..<count).map { _ in UInt64.random(in: 0...bound, using: &generator) }
        let y = x.enumerated().map { $0.offset % 3 == 0 ? $0.element : UInt64.random(in: 0...bound, using: &generator) }
        let xs = MPCHarness.shares(x)
        let ys = MPCHarness.shares(y)
        let results = try await MPCHarness.run { session in
            (
                try await session.equal(xs[session.party], ys[session.party], bits: bits),
                try await session.equal(xs[session.party], public: .list(y.map { Int64(bitPattern: $0) }), bits: bits)
            )
        }
        let expected = zip(x, y).map { $0 == $1 ? UInt64(1) : 0 }
        #expect(try MPCHarness.reveal(results.map(\.0)) == expected)
        #expect(try MPCHarness.reveal(results.map(\.1)) == expected)
    }

    @Test("XOR-shared bits convert to arithmetic bits, several planes at once")
    func bitConversion() async throws {
        let x = ringValues(130, seed: 12)
        let xs = MPCHarness.shares(x)
        let results = try await MPCHarness.run { session in
            let sign = try await session.signBit(xs[session.party], bits: 64)
            let again = try await session.signBit(xs[session.party].scaled(by: 2), bits: 64)
            return try await session.bitToArithmetic(.stack([sign, again]))
        }
        let bits = try MPCHarness.reveal(results)
        #expect(Array(bits[0..<130]) == x.map { $0 >> 63 })
        #expect(Array(bits[130..<260]) == x.map { ($0 &* 2) >> 63 })
    }

    @Test("exact truncation equals floor division for every signed value", arguments: [1, 16, 40, 63])
    func truncation(_ m: Int) async throws {
        let x = ringValues(400, seed: UInt64(m))
        let xs = MPCHarness.shares(x)
        let results = try await MPCHarness.run { session in try await session.truncate(xs[session.party], by: m) }
        let expected = x.map { UInt64(bitPattern: Int64(bitPattern: $0) >> Int64(m)) }
        #expect(try MPCHarness.reveal(results) == expected)
    }

    @Test("fixed-point products, negatives included, within one unit in the last place")
    func fixedPoint() async throws {
        let fp = FixedPoint.standard
        var generator = SeededGenerator(seed: 77)
        let a = (0..<200).map { _ in Double.random(in: -30_000...30_000, using: &generator) }
        let b = (0..<200).map { _ in Double.random(in: -2_000...2_000, using: &generator) }
        let xs = MPCHarness.shares(fp.encode(a))
        let ys = MPCHarness.shares(fp.encode(b))
        let results = try await MPCHarness.run { session in
            try await session.multiplyFixed(xs[session.party], ys[session.party])
        }
        let products = fp.decode(try MPCHarness.reveal(results))
        for (index, product) in products.enumerated() {
            let exact = fp.decode(fp.encode(a[index])) * fp.decode(fp.encode(b[index]))
            #expect(product <= exact && exact - product < 1 / fp.scale, "\(a[index]) × \(b[index])")
        }
    }
}

extension SeededGenerator {
    nonisolated(unsafe) static var shared = SeededGenerator(seed: 2026)
}
