/// Summary statistics of a secret-shared column: the `stats` program.
package struct SummaryStatistics<Share: SharedVector>: Sendable {
    /// Σx and Σx², exact integers.
    package var sum: Share
    package var sumOfSquares: Share
    /// Mean and population variance in fixed point, each within one unit in the last place of the exact value (floor).
    package var mean: Share
    package var variance: Share
}

extension MPCEngine {
    /// Sum, sum of squares, mean and population variance of `values`: integers in [0, 2^valueBits) over `count` rows
    /// (public). Σx² and Σx²·2^f must stay below 2^exactBits (61 in Z_2^64): 2·valueBits + log₂ count + f ≤ exactBits.
    package mutating func summaryStatistics(
        _ values: Share, valueBits: Int, _ fixedPoint: FixedPoint = .standard
    ) async throws -> SummaryStatistics<Share> {
        let count = values.count
        let f = fixedPoint.fractionalBits
        let rowBits = Int.bitWidth - count.leadingZeroBitCount
        let squareBits = 2 * valueBits + rowBits + f
        guard count > 0, squareBits <= Self.traits.domain.exactBits else {
            throw MPCError(
                .invalidArgument,
                "statistics of \(count) values of \(valueBits) bits would overflow the engine's integers")
        }
        let sum = values.total()
        let sumOfSquares = try await self.dot(values, values)
        let scale = Int64(1) << Int64(f)
        let moments = Share.concatenate([sum.scaled(by: scale), sumOfSquares.scaled(by: scale)])
        // Quotients: mean·2^f < 2^(valueBits+f), E[x²]·2^f < 2^(2·valueBits+f).
        let averages = try await self.divide(
            moments, byPublic: [Int64](repeating: Int64(count), count: 2), bits: squareBits,
            quotientBits: 2 * valueBits + f)
        let mean = averages.slice(0..<1)
        let meanSquare = try await self.multiplyFixed(mean, mean, fixedPoint)
        return SummaryStatistics(
            sum: sum, sumOfSquares: sumOfSquares, mean: mean, variance: averages.slice(1..<2) - meanSquare)
    }
}
