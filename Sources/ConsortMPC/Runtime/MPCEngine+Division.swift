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
        ) { engine, t, multiples in
            try await engine.divisionStep(t, by: d, multiples: multiples, compareBits: compareBits)
        }
    }

    /// One step of the restoring division by a shared divisor: the digit ⌊t/d⌋ < 2^(multiples.count/2…) as the
    /// number of the `multiples` k·d that t reaches (t < (max k + 1)·d), and that many d to subtract. All comparisons
    /// are one batch, all products one round.
    private mutating func divisionStep(_ t: Share, by d: Share, multiples: [Int64], compareBits: Int) async throws
        -> (Share, Share)
    {
        let wide = compareBits + (multiples.count > 1 ? 1 : 0)
        let atLeast = self.not(
            try await self.lessThan(
                .concatenate(multiples.map { _ in t }), .concatenate(multiples.map { d.scaled(by: $0) }), bits: wide))
        let products = try await self.multiply(atLeast, .concatenate(multiples.map { _ in d }))
        return (atLeast.blockSum(t.count), products.blockSum(t.count))
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
        ) { engine, t, multiples in
            let atLeast = engine.not(
                try await engine.lessThan(
                    .concatenate(multiples.map { _ in t }), public: .list(multiples.flatMap { k in d.map { $0 * k } }),
                    bits: compareBits + (multiples.count > 1 ? 1 : 0)))
            let subtracted = atLeast.multiplied(byPublic: .tiled(.list(d), times: multiples.count))
            return (atLeast.blockSum(t.count), subtracted.blockSum(t.count))
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
        ) { engine, t, multiples in
            try await engine.divisionStep(t, by: d, multiples: multiples, compareBits: divisorBits + 2)
        }
        return (quotient, fraction)
    }

    private mutating func restoringDivision(
        _ n: Share,
        bits: Int,
        quotientBits: Int,
        fractionBits: Int,
        fraction: inout Share,
        step: (inout Self, Share, [Int64]) async throws -> (Share, Share)
    ) async throws -> Share {
        let limit = Self.traits.domain.exactBits
        guard (1...limit).contains(bits) else {
            throw MPCError(.invalidArgument, "division of \(bits)-bit values: use 1...\(limit)")
        }
        let count = n.count
        let steps = min(bits, max(1, quotientBits))
        let digits = try await self.bitDecompose(n, bits: bits)
        func digit(_ j: Int) -> Share { digits.slice(j * count..<(j + 1) * count) }
        // The digits above the quotient's width form the starting remainder (below d by the caller's bound).
        var remainder = Share.zeros(count)
        for j in stride(from: bits - 1, through: steps, by: -1) {
            remainder = remainder.scaled(by: 2) + digit(j)
        }
        // Radix 4: two quotient bits per step, from three comparisons in one batch (t ≥ d, 2d, 3d) — half the
        // rounds of radix 2 for half as many comparisons again, as rounds cost more than bytes on a WAN. An odd
        // count of bits starts with one radix-2 step.
        var quotient = Share.zeros(count)
        var j = steps - 1
        if steps % 2 == 1 {
            let t = remainder.scaled(by: 2) + digit(j)
            let (bit, subtracted) = try await step(&self, t, [1])
            remainder = t - subtracted
            quotient = quotient + bit.scaled(by: Int64(1) << Int64(j))
            j -= 1
        }
        while j >= 1 {
            let t = remainder.scaled(by: 4) + digit(j).scaled(by: 2) + digit(j - 1)
            let (pair, subtracted) = try await step(&self, t, [1, 2, 3])
            remainder = t - subtracted
            quotient = quotient + pair.scaled(by: Int64(1) << Int64(j - 1))
            j -= 2
        }
        j = fractionBits - 1
        if fractionBits % 2 == 1 {
            let t = remainder.scaled(by: 2)
            let (bit, subtracted) = try await step(&self, t, [1])
            remainder = t - subtracted
            fraction = fraction + bit.scaled(by: Int64(1) << Int64(j))
            j -= 1
        }
        while j >= 1 {
            let t = remainder.scaled(by: 4)
            let (pair, subtracted) = try await step(&self, t, [1, 2, 3])
            remainder = t - subtracted
            fraction = fraction + pair.scaled(by: Int64(1) << Int64(j - 1))
            j -= 2
        }
        return quotient
    }

    /// The digit-by-digit method, two root bits per step (radix 4, as the division): with root r so far and the
    /// next four bits of n appended to the remainder R, the next digit q ∈ 0…3 is the number of k ∈ {1, 2, 3} with
    /// R ≥ (4r + k)² − 16r² = 8rk + k², compared in one batch; R then loses Σ over those k of 8r + 2k − 1 (one round
    /// of products). An odd number of root bits starts with one radix-2 step.
    package mutating func squareRootByDigits(_ n: Share, bits: Int) async throws -> Share {
        let limit = Self.traits.domain.rootBits
        guard bits % 2 == 0, (2...limit).contains(bits) else {
            throw MPCError(.invalidArgument, "square root of \(bits)-bit values: use an even 2...\(limit)")
        }
        let count = n.count
        let digits = try await self.bitDecompose(n, bits: bits)
        func digit(_ j: Int) -> Share { digits.slice(j * count..<(j + 1) * count) }
        var remainder = Share.zeros(count)
        var root = Share.zeros(count)
        var i = bits / 2 - 1
        if (bits / 2) % 2 == 1 {
            remainder = remainder.scaled(by: 4) + digit(2 * i + 1).scaled(by: 2) + digit(2 * i)
            let trial = self.adding(root.scaled(by: 4), constant: 1)
            let atLeast = self.not(try await self.lessThan(remainder, trial, bits: bits + 3))
            remainder = remainder - (try await self.multiply(atLeast, trial))
            root = root.scaled(by: 2) + atLeast
            i -= 1
        }
        while i >= 1 {
            remainder =
                remainder.scaled(by: 16) + digit(2 * i + 1).scaled(by: 8) + digit(2 * i).scaled(by: 4)
                + digit(2 * i - 1).scaled(by: 2) + digit(2 * i - 2)
            let eight = root.scaled(by: 8)
            let trials = Share.concatenate(
                (1...3).map { self.adding(eight.scaled(by: Int64($0)), constant: Int64($0 * $0)) })
            let atLeast = self.not(
                try await self.lessThan(.concatenate([remainder, remainder, remainder]), trials, bits: bits + 3))
            let products = try await self.multiply(atLeast, .concatenate([eight, eight, eight]))
            let odd = atLeast.multiplied(byPublic: .blocks(.list([1, 3, 5]), length: count))
            remainder = remainder - (products + odd).blockSum(count)
            root = root.scaled(by: 4) + atLeast.blockSum(count)
            i -= 2
        }
        return root
    }
}
