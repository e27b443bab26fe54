import ConsortMPC

/// A deliberately simple engine for tests: one party holds every value in the clear and each operation is the plain
/// arithmetic it stands for (in Z_2^64, as the replicated engine computes). It keeps nothing secret; it is the
/// reference that shows the engine seam carries a second engine — the query compiler runs on it unchanged — and that
/// the replicated engine's protocols compute what they claim.
package struct ReferenceEngine: MPCEngine {
    /// The values themselves.
    package struct Share: SharedVector, Hashable {
        package var values: [Int64]

        package init(_ values: [Int64]) { self.values = values }

        package var count: Int { self.values.count }

        package static func + (lhs: Share, rhs: Share) -> Share { Share(zip(lhs.values, rhs.values).map { $0 &+ $1 }) }
        package static func - (lhs: Share, rhs: Share) -> Share { Share(zip(lhs.values, rhs.values).map { $0 &- $1 }) }
        package static prefix func - (value: Share) -> Share { Share(value.values.map { 0 &- $0 }) }
        package func scaled(by constant: Int64) -> Share { Share(self.values.map { $0 &* constant }) }
        package func multiplied(byPublic values: PublicVector) -> Share {
            Share(zip(self.values, values.materialized).map { $0 &* $1 })
        }
        package func slice(_ range: Range<Int>) -> Share { Share(Array(self.values[range])) }
        package mutating func replace(_ range: Range<Int>, with values: Share) {
            precondition(range.count == values.count, "replace: \(values.count) elements for \(range.count)")
            self.values.replaceSubrange(range, with: values.values)
        }
        package func strided(from start: Int, by step: Int) -> Share {
            Share(stride(from: start, to: self.count, by: step).map { self.values[$0] })
        }
        package func permuted(_ order: [Int]) -> Share { Share(order.map { self.values[$0] }) }
        package func repeatingElements(_ times: Int) -> Share {
            Share(self.values.flatMap { [Int64](repeating: $0, count: times) })
        }
        package func total() -> Share { Share([self.values.reduce(0, &+)]) }
        package static func concatenate(_ parts: [Share]) -> Share { Share(parts.flatMap(\.values)) }
        package static func zeros(_ count: Int) -> Share { Share([Int64](repeating: 0, count: count)) }

        package static var bytesPerElement: Int { 8 }
        package static func encodedRanges(of rows: Range<Int>, count: Int) -> [Range<Int>] {
            [8 * rows.lowerBound..<8 * rows.upperBound]
        }
        package var encoded: [UInt8] {
            self.values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        }
        package init(encoded bytes: ArraySlice<UInt8>, count: Int) throws {
            guard bytes.count == 8 * count else {
                throw MPCError(.invalidArgument, "\(count) clear values take \(8 * count) bytes")
            }
            self.values = Ring.words(littleEndian: bytes).map { Int64(bitPattern: $0) }
        }
    }

    /// Free of charge: nothing is sent.
    struct Costs: CostModel {
        func input(count: Int) -> OperationCost { .free }
        func multiply(count: Int) -> OperationCost { .free }
        func innerProducts(count: Int) -> OperationCost { .free }
        func open(count: Int) -> OperationCost { .free }
        func lessThan(count: Int, bits: Int) -> OperationCost { .free }
        func equal(count: Int, bits: Int) -> OperationCost { .free }
        func truncate(count: Int, by bits: Int) -> OperationCost { .free }
        func bitDecompose(count: Int, bits: Int) -> OperationCost { .free }
        func shuffle(rows: Int, columns: Int) -> OperationCost { .free }
        func sort(rows: Int, keyBits: Int, payload: Int) -> OperationCost { .free }
        func finish() -> OperationCost { .free }
    }

    package static let traits = EngineTraits(
        name: "reference", security: .passive, majority: .honest, parties: 1...1, domain: .ring(bits: 64),
        costs: Costs(),
        summary: "one party computing in the clear: a test reference, never for real data"
    )

    package var party: Int { 0 }
    package var parties: Int { 1 }
    package private(set) var rounds = 0
    package var bytesSent: Int { 0 }

    package init() {}

    package static func establish(transport: any MPCTransport) async throws -> ReferenceEngine {
        guard transport.parties == 1 else { throw MPCError(.sessionSetup, "the reference engine runs alone") }
        return ReferenceEngine()
    }

    package static func deal(_ values: [Int64], parties: Int) throws -> [Share] {
        guard parties == 1 else { throw MPCError(.invalidArgument, "the reference engine has one party") }
        return [Share(values)]
    }

    package static func combine(_ shares: [Share]) throws -> [Int64] {
        guard shares.count == 1 else { throw MPCError(.invalidArgument, "the reference engine has one party") }
        return shares[0].values
    }

    package func constant(_ values: PublicVector) -> Share { Share(values.materialized) }
    package func adding(_ x: Share, _ values: PublicVector) -> Share { x + Share(values.materialized) }
    package func subtracting(_ x: Share, _ values: PublicVector) -> Share { x - Share(values.materialized) }

    private mutating func step(_ values: [Int64]) -> Share {
        self.rounds += 1
        return Share(values)
    }

    package mutating func input(_ values: [Int64]?, from owner: Int, count: Int) async throws -> Share {
        guard let values, values.count == count else {
            throw MPCError(.invalidArgument, "input: the owner gives \(count) values")
        }
        return self.step(values)
    }

    package mutating func multiply(_ x: Share, _ y: Share) async throws -> Share {
        self.step(zip(x.values, y.values).map { $0 &* $1 })
    }

    package mutating func innerProducts(_ pairs: [(Share, Share)]) async throws -> Share {
        self.step(pairs.map { x, y in zip(x.values, y.values).reduce(0) { $0 &+ $1.0 &* $1.1 } })
    }

    package mutating func open(_ x: Share) async throws -> [Int64] { self.step(x.values).values }

    package mutating func lessThan(_ x: Share, _ y: Share, bits: Int) async throws -> Share {
        self.step(zip(x.values, y.values).map { $0 < $1 ? 1 : 0 })
    }

    package mutating func lessThanZero(_ x: Share, bits: Int) async throws -> Share {
        self.step(x.values.map { $0 < 0 ? 1 : 0 })
    }

    package mutating func equal(_ x: Share, _ y: Share, bits: Int) async throws -> Share {
        self.step(zip(x.values, y.values).map { $0 == $1 ? 1 : 0 })
    }

    package mutating func select(_ c: Share, _ x: Share, _ y: Share) async throws -> Share {
        self.step(c.values.indices.map { c.values[$0] == 1 ? x.values[$0] : y.values[$0] })
    }

    package mutating func truncate(_ x: Share, by m: Int) async throws -> Share {
        self.step(x.values.map { $0 >> Int64(m) })
    }

    package mutating func bitDecompose(_ x: Share, bits: Int) async throws -> Share {
        self.step((0..<bits).flatMap { j in x.values.map { Int64((UInt64(bitPattern: $0) >> UInt64(j)) & 1) } })
    }

    package mutating func divide(_ n: Share, by d: Share, bits: Int, quotientBits: Int?, divisorBits: Int?) async throws
        -> Share
    {
        guard d.values.allSatisfy({ $0 > 0 }) else { throw MPCError(.invalidArgument, "division by zero") }
        return self.step(zip(n.values, d.values).map { $0 / $1 })
    }

    package mutating func divide(_ n: Share, byPublic d: [Int64], bits: Int, quotientBits: Int?) async throws -> Share {
        try await self.divide(n, by: Share(d), bits: bits, quotientBits: quotientBits, divisorBits: nil)
    }

    package mutating func divideWithFraction(
        _ n: Share, by d: Share, bits: Int, quotientBits: Int, divisorBits: Int, fractionBits: Int
    ) async throws -> (quotient: Share, fraction: Share) {
        let quotient = try await self.divide(n, by: d, bits: bits, quotientBits: quotientBits, divisorBits: divisorBits)
        let fraction = zip(n.values, d.values).map { n, d in Int64((Int128(n % d) << Int128(fractionBits)) / Int128(d))
        }
        return (quotient, Share(fraction))
    }

    package mutating func squareRoot(_ n: Share, bits: Int) async throws -> Share {
        self.step(
            n.values.map { value in
                // ⌊√n⌋ exactly: the double's estimate, corrected by at most a step each way.
                var root = Int64(Double(value).squareRoot())
                while root * root > value { root -= 1 }
                while (root + 1) * (root + 1) <= value { root += 1 }
                return root
            })
    }

    package mutating func shuffle(_ columns: [Share]) async throws -> [Share] {
        let order = Array(0..<(columns.first?.count ?? 0)).shuffled()
        self.rounds += 1
        return columns.map { $0.permuted(order) }
    }

    package mutating func sort(key: consuming Share, payload: consuming [Share], keyBits: Int) async throws -> (
        key: Share, payload: [Share]
    ) {
        // Stable: equal keys keep their order, as the replicated engine's (key, row) composite keys do.
        let order = key.values.indices.sorted { (key.values[$0], $0) < (key.values[$1], $1) }
        self.rounds += 1
        return (key.permuted(order), payload.map { $0.permuted(order) })
    }

    package mutating func finish() async throws {}
}
