/// Summary statistics of a secret-shared column: the `stats` program.
package struct SummaryStatistics: Sendable {
    /// Σx and Σx², exact integers.
    package var sum: Replicated3.Share
    package var sumOfSquares: Replicated3.Share
    /// Mean and population variance in fixed point (the session's fractional bits), each within one unit in the last
    /// place of the exact value (floor).
    package var mean: Replicated3.Share
    package var variance: Replicated3.Share
}

extension MPCSession {
    /// Sum, sum of squares, mean and population variance of `values`: integers in [0, 2^valueBits) over `count` rows
    /// (public). Σx² and Σx²·2^f must stay below 2^61: 2·valueBits + log₂ count + f ≤ 61.
    package mutating func summaryStatistics(_ values: Replicated3.Share, valueBits: Int) async throws -> SummaryStatistics {
        let count = values.count
        let f = self.fixedPoint.fractionalBits
        let rowBits = Int.bitWidth - count.leadingZeroBitCount
        let squareBits = 2 * valueBits + rowBits + f
        guard count > 0, squareBits <= 61 else {
            throw MPCError(.invalidArgument, "statistics of \(count) values of \(valueBits) bits would overflow the ring")
        }
        let sum = values.total()
        let sumOfSquares = try await self.dot(values, values)
        let scale = UInt64(1) << UInt64(f)
        let moments = Replicated3.Share.concatenate([sum.scaled(by: scale), sumOfSquares.scaled(by: scale)])
        // Quotients: mean·2^f < 2^(valueBits+f), E[x²]·2^f < 2^(2·valueBits+f).
        let averages = try await self.divide(moments, byPublic: [UInt64](repeating: UInt64(count), count: 2), bits: squareBits,
                                             quotientBits: 2 * valueBits + f)
        let mean = averages.slice(0..<1)
        let meanSquare = try await self.multiplyFixed(mean, mean)
        return SummaryStatistics(sum: sum, sumOfSquares: sumOfSquares, mean: mean, variance: averages.slice(1..<2) - meanSquare)
    }
}
