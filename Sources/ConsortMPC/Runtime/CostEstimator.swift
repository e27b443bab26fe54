/// An engine that computes nothing and prices everything: a program run on it with the row counts of a task adds up,
/// operation by operation, what engine `E`'s cost model says the real run sends. Shares are only lengths, so a
/// program over 10^8 rows costs no memory; every opened value is 0 (no group suppressed, none empty: every final
/// computed), which makes the estimate the most a run can cost.
package struct CostEstimator<E: MPCEngine>: MPCEngine {
    /// A share that is only its length.
    package struct Share: SharedVector, Hashable {
        package let count: Int

        package init(count: Int) { self.count = count }

        package static func + (lhs: Share, rhs: Share) -> Share { Share(count: lhs.count) }
        package static func - (lhs: Share, rhs: Share) -> Share { Share(count: lhs.count) }
        package static prefix func - (value: Share) -> Share { value }
        package func scaled(by constant: Int64) -> Share { self }
        package func multiplied(byPublic values: PublicVector) -> Share { self }
        package func slice(_ range: Range<Int>) -> Share { Share(count: range.count) }
        package mutating func replace(_ range: Range<Int>, with values: Share) {
            precondition(range.count == values.count, "replace: \(values.count) elements for \(range.count)")
        }
        package func strided(from start: Int, by step: Int) -> Share {
            Share(count: start >= self.count ? 0 : (self.count - start + step - 1) / step)
        }
        package func permuted(_ order: [Int]) -> Share { Share(count: order.count) }
        package func repeatingElements(_ times: Int) -> Share { Share(count: self.count * times) }
        package func total() -> Share { Share(count: 1) }
        package static func concatenate(_ parts: [Share]) -> Share { Share(count: parts.reduce(0) { $0 + $1.count }) }
        package static func zeros(_ count: Int) -> Share { Share(count: count) }

        package static var bytesPerElement: Int { 0 }
        package static func encodedRanges(of rows: Range<Int>, count: Int) -> [Range<Int>] { [] }
        package var encoded: [UInt8] { [] }
        package init(encoded bytes: ArraySlice<UInt8>, count: Int) throws { self.count = count }
    }

    package static var traits: EngineTraits { E.traits }

    /// Everything priced so far (bytes summed over the parties).
    package private(set) var cost = OperationCost.free
    package let parties: Int
    package var party: Int { 0 }
    package var rounds: Int { self.cost.rounds }
    package var bytesSent: Int { self.cost.bytes / max(1, self.parties) }

    private var model: any CostModel { E.traits.costs }

    /// An estimator for a session of `parties` computing parties (the engine's smallest by default).
    package init(parties: Int? = nil) {
        self.parties = parties ?? E.traits.parties.lowerBound
    }

    package static func establish(transport: any MPCTransport) async throws -> CostEstimator<E> {
        throw MPCError(.invalidArgument, "a cost estimator runs no session")
    }

    package static func deal(_ values: [Int64], parties: Int) throws -> [Share] {
        Array(repeating: Share(count: values.count), count: parties)
    }

    package static func combine(_ shares: [Share]) throws -> [Int64] {
        [Int64](repeating: 0, count: shares.first?.count ?? 0)
    }

    package func constant(_ values: PublicVector) -> Share { Share(count: values.count) }
    package func adding(_ x: Share, _ values: PublicVector) -> Share { x }
    package func subtracting(_ x: Share, _ values: PublicVector) -> Share { x }

    private mutating func charge(_ cost: OperationCost, _ count: Int) -> Share {
        self.cost += cost
        return Share(count: count)
    }

    package mutating func input(_ values: [Int64]?, from owner: Int, count: Int) async throws -> Share {
        self.charge(self.model.input(count: count), count)
    }

    package mutating func multiply(_ x: Share, _ y: Share) async throws -> Share {
        self.charge(self.model.multiply(count: x.count), x.count)
    }

    package mutating func innerProducts(_ pairs: [(Share, Share)]) async throws -> Share {
        self.charge(self.model.innerProducts(count: pairs.count), pairs.count)
    }

    package mutating func open(_ x: Share) async throws -> [Int64] {
        self.cost += self.model.open(count: x.count)
        return [Int64](repeating: 0, count: x.count)
    }

    package mutating func lessThan(_ x: Share, _ y: Share, bits: Int) async throws -> Share {
        self.charge(self.model.lessThan(count: x.count, bits: bits), x.count)
    }

    package mutating func lessThanZero(_ x: Share, bits: Int) async throws -> Share {
        self.charge(self.model.lessThan(count: x.count, bits: bits), x.count)
    }

    package mutating func anyNegative(_ x: Share, bits: Int, spans: [Range<Int>]) async throws -> Share {
        guard let cost = self.model.anyNegative(count: x.count, bits: bits, spans: spans.map(\.count)) else {
            return try await self.negativeCounts(x, bits: bits, spans: spans)
        }
        return self.charge(cost, spans.count)
    }

    package mutating func anyOutside(_ x: Share, widths: [Int64], spans: [Range<Int>], bits: Int) async throws
        -> Share
    {
        guard let cost = self.model.anyOutside(count: x.count, bits: bits, spans: spans.map(\.count)) else {
            return try await self.outsideBySigns(x, widths: widths, spans: spans, bits: bits)
        }
        return self.charge(cost, spans.count)
    }

    package mutating func equal(_ x: Share, _ y: Share, bits: Int) async throws -> Share {
        self.charge(self.model.equal(count: x.count, bits: bits), x.count)
    }

    package mutating func select(_ c: Share, _ x: Share, _ y: Share) async throws -> Share {
        if let cost = self.model.select(count: c.count) { return self.charge(cost, c.count) }
        return try await self.selectByMultiplication(c, x, y)
    }

    package mutating func truncate(_ x: Share, by m: Int) async throws -> Share {
        self.charge(self.model.truncate(count: x.count, by: m), x.count)
    }

    package mutating func bitDecompose(_ x: Share, bits: Int) async throws -> Share {
        self.charge(self.model.bitDecompose(count: x.count, bits: bits), x.count * bits)
    }

    package mutating func divide(_ n: Share, by d: Share, bits: Int, quotientBits: Int?, divisorBits: Int?) async throws
        -> Share
    {
        if let cost = self.model.divide(
            count: n.count, bits: bits, quotientBits: quotientBits ?? bits,
            divisorBits: divisorBits ?? bits, publicDivisor: false)
        {
            return self.charge(cost, n.count)
        }
        return try await self.longDivision(n, by: d, bits: bits, quotientBits: quotientBits, divisorBits: divisorBits)
    }

    package mutating func divide(_ n: Share, byPublic d: [Int64], bits: Int, quotientBits: Int?) async throws -> Share {
        let divisorBits = Int64.bitWidth - (d.max() ?? 1).leadingZeroBitCount
        if let cost = self.model.divide(
            count: n.count, bits: bits, quotientBits: quotientBits ?? bits, divisorBits: divisorBits,
            publicDivisor: true)
        {
            return self.charge(cost, n.count)
        }
        return try await self.longDivision(n, byPublic: d, bits: bits, quotientBits: quotientBits)
    }

    package mutating func divideWithFraction(
        _ n: Share, by d: Share, bits: Int, quotientBits: Int, divisorBits: Int, fractionBits: Int
    ) async throws -> (quotient: Share, fraction: Share) {
        try await self.longDivisionWithFraction(
            n, by: d, bits: bits, quotientBits: quotientBits, divisorBits: divisorBits,
            fractionBits: fractionBits)
    }

    package mutating func squareRoot(_ n: Share, bits: Int) async throws -> Share {
        if let cost = self.model.squareRoot(count: n.count, bits: bits) { return self.charge(cost, n.count) }
        return try await self.squareRootByDigits(n, bits: bits)
    }

    package mutating func shuffle(_ columns: [Share]) async throws -> [Share] {
        self.cost += self.model.shuffle(rows: columns.first?.count ?? 0, columns: columns.count)
        return columns
    }

    package mutating func sort(key: consuming Share, payload: consuming [Share], keyBits: Int) async throws -> (
        key: Share, payload: [Share]
    ) {
        self.cost += self.model.sort(rows: key.count, keyBits: keyBits, payload: payload.count)
        return (key, payload)
    }

    package mutating func finish() async throws {
        self.cost += self.model.finish()
    }
}
