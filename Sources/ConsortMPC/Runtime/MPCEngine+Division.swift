/// The generic algorithms every engine inherits unless it has better ones: selection by one multiplication, and exact
/// restoring division and digit-by-digit square root built from `bitDecompose`, `lessThan` and `multiply`.
///
/// Exact long division rather than Newton or Goldschmidt: in Z_2^64 the normalisation those need loses precision for
/// the ranges statistics have (counts to 10^8, sums of squares to 2^60); this is exact and costs one comparison round
/// per quotient bit, all elements at once — fine for aggregates, which is where divisions occur.
extension MPCEngine {
    package mutating func select(_ c: Share, _ x: Share, _ y: Share) async throws -> Share {
        try await self.selectByMultiplication(c, x, y)
    }

    // No default arguments on these: a call that omitted one would bind to this extension statically and skip an
    // engine's own implementation.
    package mutating func divide(_ n: Share, by d: Share, bits: Int, quotientBits: Int?, divisorBits: Int?) async throws
        -> Share
    {
        try await self.longDivision(n, by: d, bits: bits, quotientBits: quotientBits, divisorBits: divisorBits)
    }

    package mutating func divide(_ n: Share, byPublic d: [Int64], bits: Int, quotientBits: Int?) async throws -> Share {
        try await self.longDivision(n, byPublic: d, bits: bits, quotientBits: quotientBits)
    }

    package mutating func divideWithFraction(
        _ n: Share, by d: Share, bits: Int, quotientBits: Int, divisorBits: Int, fractionBits: Int
    ) async throws -> (quotient: Share, fraction: Share) {
        try await self.longDivisionWithFraction(
            n, by: d, bits: bits, quotientBits: quotientBits, divisorBits: divisorBits,
            fractionBits: fractionBits)
    }

    package mutating func squareRoot(_ n: Share, bits: Int) async throws -> Share {
        try await self.squareRootByDigits(n, bits: bits)
    }
}

extension MPCEngine {
    /// y + c·(x − y): one multiplication.
    package mutating func selectByMultiplication(_ c: Share, _ x: Share, _ y: Share) async throws -> Share {
        try await self.multiply(c, x - y) + y
    }

    /// With `quotientBits` (every quotient < 2^quotientBits) and `divisorBits` (every d < 2^divisorBits) the division
    /// runs only quotientBits steps, each comparing (divisorBits + 2)-bit values: the remainder starts at the top
    /// digits of n, which are below d when the quotient is that small.
    package mutating func longDivision(_ n: Share, by d: Share, bits: Int, quotientBits: Int?, divisorBits: Int?)
        async throws -> Share
    {
        let compareBits = min(bits, divisorBits ?? bits) + 2
        var unused = Share.zeros(0)
        return try await self.restoringDivision(
            n, bits: bits, quotientBits: quotientBits ?? bits, fractionBits: 0, fraction: &unused
        ) { engine, t in
            let atLeast = engine.not(try await engine.lessThan(t, d, bits: compareBits))
            return (atLeast, try await engine.multiply(atLeast, d))
        }
    }

    /// Cheaper for public divisors: the product with d is local.
    package mutating func longDivision(_ n: Share, byPublic d: [Int64], bits: Int, quotientBits: Int?) async throws
        -> Share
    {
        guard d.allSatisfy({ $0 > 0 }) else { throw MPCError(.invalidArgument, "division by zero") }
        let divisorBits = Int64.bitWidth - (d.max() ?? 1).leadingZeroBitCount
        let compareBits = min(bits, divisorBits) + 2
        var unused = Share.zeros(0)
        return try await self.restoringDivision(
            n, bits: bits, quotientBits: quotientBits ?? bits, fractionBits: 0, fraction: &unused
        ) { engine, t in
            let atLeast = engine.not(try await engine.lessThan(t, public: .list(d), bits: compareBits))
            return (atLeast, atLeast.multiplied(byPublic: .list(d)))
        }
    }

    /// The long division simply continues past the last digit of n with zero digits, so the remainder stays below d
    /// and nothing is scaled up: precision is not limited by the size of n.
    package mutating func longDivisionWithFraction(
        _ n: Share, by d: Share, bits: Int, quotientBits: Int, divisorBits: Int, fractionBits: Int
    ) async throws -> (quotient: Share, fraction: Share) {
        guard divisorBits <= Self.traits.domain.exactBits, (0...60).contains(fractionBits) else {
            throw MPCError(
                .invalidArgument,
                "fractional division needs divisors below 2^\(Self.traits.domain.exactBits) and at most 60 fraction bits"
            )
        }
        var fraction = Share.zeros(n.count)
        let quotient = try await self.restoringDivision(
            n, bits: bits, quotientBits: quotientBits, fractionBits: fractionBits, fraction: &fraction
        ) { engine, t in
            let atLeast = engine.not(try await engine.lessThan(t, d, bits: divisorBits + 2))
            return (atLeast, try await engine.multiply(atLeast, d))
        }
        return (quotient, fraction)
    }

    private mutating func restoringDivision(
        _ n: Share,
        bits: Int,
        quotientBits: Int,
        fractionBits: Int,
        fraction: inout Share,
        step: (inout Self, Share) async throws -> (Share, Share)
    ) async throws -> Share {
        let limit = Self.traits.domain.exactBits
        guard (1...limit).contains(bits) else {
            throw MPCError(.invalidArgument, "division of \(bits)-bit values: use 1...\(limit)")
        }
        let count = n.count
        let steps = min(bits, max(1, quotientBits))
        let digits = try await self.bitDecompose(n, bits: bits)
        // The digits above the quotient's width form the starting remainder (below d by the caller's bound).
        var remainder = Share.zeros(count)
        for j in stride(from: bits - 1, through: steps, by: -1) {
            remainder = remainder.scaled(by: 2) + digits.slice(j * count..<(j + 1) * count)
        }
        var quotient = Share.zeros(count)
        for j in stride(from: steps - 1, through: 0, by: -1) {
            let t = remainder.scaled(by: 2) + digits.slice(j * count..<(j + 1) * count)
            let (atLeast, subtracted) = try await step(&self, t)
            remainder = t - subtracted
            quotient = quotient + atLeast.scaled(by: Int64(1) << Int64(j))
        }
        for j in stride(from: fractionBits - 1, through: 0, by: -1) {
            let t = remainder.scaled(by: 2)
            let (atLeast, subtracted) = try await step(&self, t)
            remainder = t - subtracted
            fraction = fraction + atLeast.scaled(by: Int64(1) << Int64(j))
        }
        return quotient
    }

    /// The digit-by-digit method: one comparison and one multiplication per result bit.
    package mutating func squareRootByDigits(_ n: Share, bits: Int) async throws -> Share {
        let limit = Self.traits.domain.rootBits
        guard bits % 2 == 0, (2...limit).contains(bits) else {
            throw MPCError(.invalidArgument, "square root of \(bits)-bit values: use an even 2...\(limit)")
        }
        let count = n.count
        let digits = try await self.bitDecompose(n, bits: bits)
        var remainder = Share.zeros(count)
        var root = Share.zeros(count)
        for i in stride(from: bits / 2 - 1, through: 0, by: -1) {
            remainder =
                remainder.scaled(by: 4) + digits.slice((2 * i + 1) * count..<(2 * i + 2) * count).scaled(by: 2)
                + digits.slice(2 * i * count..<(2 * i + 1) * count)
            let trial = self.adding(root.scaled(by: 4), constant: 1)
            let atLeast = self.not(try await self.lessThan(remainder, trial, bits: bits + 3))
            remainder = remainder - (try await self.multiply(atLeast, trial))
            root = root.scaled(by: 2) + atLeast
        }
        return root
    }
}
