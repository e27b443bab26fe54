extension MPCSession {
    /// The bits of x mod 2^bits as arithmetic 0/1 shares: result[j · n + e] is bit j of element e.
    /// One carry tree per bit position; for aggregates, not for whole columns.
    package mutating func bitDecompose(_ x: Replicated3.Share, bits: Int) async throws -> Replicated3.Share {
        guard (1...64).contains(bits) else { throw MPCError(.invalidArgument, "bit decomposition of \(bits) bits") }
        let (a, b, _, _) = try await self.splitAddends(x, bits: bits)
        let p = a ^ b
        guard bits > 1 else { return try await self.bitToArithmetic(p) }
        let g = try await self.and(a, b)
        let carries = try await self.carries(generate: g, propagate: p, into: Array(1..<bits))
        let sums = [p.plane(0)] + (1..<bits).map { p.plane($0) ^ carries[$0 - 1] }
        return try await self.bitToArithmetic(.stack(sums))
    }

    /// floor(n / d) elementwise, exactly, for 0 ≤ n < 2^bits and 0 < d < 2^bits (bits ≤ 61), by restoring division:
    /// one comparison and one multiplication per quotient bit, all elements at once.
    ///
    /// Exact long division rather than Newton or Goldschmidt: in Z_2^64 the normalisation those need loses precision
    /// for the ranges statistics have (counts to 10^8, sums of squares to 2^60); this is exact and costs `bits`
    /// comparison rounds — fine for aggregates, which is where divisions occur.
    ///
    /// With `quotientBits` (every quotient < 2^quotientBits) and `divisorBits` (every d < 2^divisorBits) the division
    /// runs only quotientBits steps, each comparing (divisorBits + 2)-bit values: the remainder starts at the top
    /// digits of n, which are below d when the quotient is that small.
    package mutating func divide(
        _ n: Replicated3.Share, by d: Replicated3.Share, bits: Int, quotientBits: Int? = nil, divisorBits: Int? = nil
    ) async throws -> Replicated3.Share {
        let compareBits = min(bits, divisorBits ?? bits) + 2
        return try await self.restoringDivision(n, bits: bits, quotientBits: quotientBits ?? bits) { session, t in
            let atLeast = try await session.lessThan(t, d, bits: compareBits).negatedBit(party: session.party)
            return (atLeast, try await session.multiply(atLeast, d))
        }
    }

    /// floor(n / d) for a public divisor per element (cheaper: the product with d is local).
    package mutating func divide(_ n: Replicated3.Share, byPublic d: [UInt64], bits: Int, quotientBits: Int? = nil) async throws -> Replicated3.Share {
        guard d.allSatisfy({ $0 > 0 }) else { throw MPCError(.invalidArgument, "division by zero") }
        let divisorBits = UInt64.bitWidth - (d.max() ?? 1).leadingZeroBitCount
        let compareBits = min(bits, divisorBits) + 2
        return try await self.restoringDivision(n, bits: bits, quotientBits: quotientBits ?? bits) { session, t in
            let atLeast = try await session.lessThan(t, public: d, bits: compareBits).negatedBit(party: session.party)
            return (atLeast, atLeast.multiplied(byPublic: d))
        }
    }

    /// n / d to `fractionBits` binary places: (⌊n/d⌋, ⌊frac(n/d) · 2^fractionBits⌋), for 0 ≤ n < 2^bits and
    /// 0 < d < 2^divisorBits ≤ 2^61. The long division simply continues past the last digit of n with zero digits, so
    /// the remainder stays below d and nothing is scaled up: precision is not limited by the size of n.
    package mutating func divideWithFraction(
        _ n: Replicated3.Share, by d: Replicated3.Share, bits: Int, quotientBits: Int, divisorBits: Int, fractionBits: Int
    ) async throws -> (quotient: Replicated3.Share, fraction: Replicated3.Share) {
        guard divisorBits <= 61, (0...60).contains(fractionBits) else {
            throw MPCError(.invalidArgument, "fractional division needs divisors below 2^61 and at most 60 fraction bits")
        }
        var fraction = Replicated3.Share.zeros(n.count)
        let quotient = try await self.restoringDivision(n, bits: bits, quotientBits: quotientBits, fractionBits: fractionBits, fraction: &fraction) { session, t in
            let atLeast = try await session.lessThan(t, d, bits: divisorBits + 2).negatedBit(party: session.party)
            return (atLeast, try await session.multiply(atLeast, d))
        }
        return (quotient, fraction)
    }

    private mutating func restoringDivision(
        _ n: Replicated3.Share,
        bits: Int,
        quotientBits: Int,
        step: (inout MPCSession, Replicated3.Share) async throws -> (Replicated3.Share, Replicated3.Share)
    ) async throws -> Replicated3.Share {
        var unused = Replicated3.Share.zeros(0)
        return try await self.restoringDivision(n, bits: bits, quotientBits: quotientBits, fractionBits: 0, fraction: &unused, step: step)
    }

    private mutating func restoringDivision(
        _ n: Replicated3.Share,
        bits: Int,
        quotientBits: Int,
        fractionBits: Int,
        fraction: inout Replicated3.Share,
        step: (inout MPCSession, Replicated3.Share) async throws -> (Replicated3.Share, Replicated3.Share)
    ) async throws -> Replicated3.Share {
        guard (1...61).contains(bits) else { throw MPCError(.invalidArgument, "division of \(bits)-bit values: use 1...61") }
        let count = n.count
        let steps = min(bits, max(1, quotientBits))
        let digits = try await self.bitDecompose(n, bits: bits)
        // The digits above the quotient's width form the starting remainder (below d by the caller's bound).
        var remainder = Replicated3.Share.zeros(count)
        for j in stride(from: bits - 1, through: steps, by: -1) {
            remainder = remainder.scaled(by: 2) + digits.slice(j * count..<(j + 1) * count)
        }
        var quotient = Replicated3.Share.zeros(count)
        for j in stride(from: steps - 1, through: 0, by: -1) {
            let t = remainder.scaled(by: 2) + digits.slice(j * count..<(j + 1) * count)
            let (atLeast, subtracted) = try await step(&self, t)
            remainder = t - subtracted
            quotient = quotient + atLeast.scaled(by: UInt64(1) << UInt64(j))
        }
        for j in stride(from: fractionBits - 1, through: 0, by: -1) {
            let t = remainder.scaled(by: 2)
            let (atLeast, subtracted) = try await step(&self, t)
            remainder = t - subtracted
            fraction = fraction + atLeast.scaled(by: UInt64(1) << UInt64(j))
        }
        return quotient
    }

    /// floor(√n) elementwise, exactly, for 0 ≤ n < 2^bits (bits even, ≤ 60): the digit-by-digit method, one comparison
    /// and one multiplication per result bit.
    package mutating func squareRoot(_ n: Replicated3.Share, bits: Int) async throws -> Replicated3.Share {
        guard bits % 2 == 0, (2...60).contains(bits) else { throw MPCError(.invalidArgument, "square root of \(bits)-bit values: use an even 2...60") }
        let count = n.count
        let digits = try await self.bitDecompose(n, bits: bits)
        var remainder = Replicated3.Share.zeros(count)
        var root = Replicated3.Share.zeros(count)
        for i in stride(from: bits / 2 - 1, through: 0, by: -1) {
            remainder = remainder.scaled(by: 4) + digits.slice((2 * i + 1) * count..<(2 * i + 2) * count).scaled(by: 2)
                + digits.slice(2 * i * count..<(2 * i + 1) * count)
            let trial = root.scaled(by: 4).adding(constant: 1, party: self.party)
            let atLeast = try await self.lessThan(remainder, trial, bits: bits + 3).negatedBit(party: self.party)
            remainder = remainder - (try await self.multiply(atLeast, trial))
            root = root.scaled(by: 2) + atLeast
        }
        return root
    }

    /// Fixed-point x / y for y > 0 and |x| · 2^f < 2^bits: floor toward −∞ of the exact quotient.
    package mutating func divideFixed(_ x: Replicated3.Share, by y: Replicated3.Share, bits: Int) async throws -> Replicated3.Share {
        let negative = try await self.lessThanZero(x, bits: 64)
        let magnitude = try await self.select(negative, -x, x)
        let scaled = magnitude.scaled(by: UInt64(1) << UInt64(self.fixedPoint.fractionalBits))
        let quotient = try await self.divide(scaled, by: y, bits: bits)
        return try await self.select(negative, -quotient, quotient)
    }

    /// Fixed-point √x for x ≥ 0 with x · 2^f < 2^bits.
    package mutating func squareRootFixed(_ x: Replicated3.Share, bits: Int) async throws -> Replicated3.Share {
        try await self.squareRoot(x.scaled(by: UInt64(1) << UInt64(self.fixedPoint.fractionalBits)), bits: bits)
    }
}

extension Replicated3.Share {
    /// 1 − b for an arithmetic bit b (local).
    package func negatedBit(party: Int) -> Replicated3.Share {
        (-self).adding(constant: 1, party: party)
    }
}
