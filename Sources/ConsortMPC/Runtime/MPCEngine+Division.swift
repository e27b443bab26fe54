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
    /// finds only quotientBits bits (a few per step), comparing values of about divisorBits bits: the remainder starts
    /// at the top digits of n, which are below d when the quotient is that small.
    package mutating func longDivision(_ n: Share, by d: Share, bits: Int, quotientBits: Int?, divisorBits: Int?)
        async throws -> Share
    {
        let compareBits = min(bits, divisorBits ?? bits) + 2
        var unused = Share.zeros(0)
        return try await self.restoringDivision(
            n, bits: bits, quotientBits: quotientBits ?? bits, fractionBits: 0, fraction: &unused,
            compareBits: compareBits
        ) { engine, t, width in
            try await engine.divisionStep(t, by: d, width: width, compareBits: compareBits)
        }
    }

    /// One step of the restoring division by a shared divisor, `width` quotient bits at once: the digit ⌊t/d⌋ <
    /// 2^width (t < 2^width·d) as the number of multiples k·d, k = 1 … 2^width − 1, that t reaches, and that many d to
    /// subtract. All comparisons are one batch, all products one round.
    private mutating func divisionStep(_ t: Share, by d: Share, width: Int, compareBits: Int) async throws
        -> (Share, Share)
    {
        let multiples = Self.multiples(width: width)
        let atLeast = self.not(
            try await self.lessThan(
                .concatenate(multiples.map { _ in t }), .concatenate(multiples.map { d.scaled(by: $0) }),
                bits: compareBits + width - 1))
        let products = try await self.multiply(atLeast, .concatenate(multiples.map { _ in d }))
        return (atLeast.blockSum(t.count), products.blockSum(t.count))
    }

    /// Quotient (or root) bits per step for `count` elements: rounds cost more than bytes on a WAN, so a step takes
    /// 4 bits (15 comparisons in one batch) where the elements are few — the finals of a query, one per group — and
    /// 2 bits (3 comparisons) otherwise; radix 2 would take one comparison per bit in twice the rounds.
    static func stepBits(count: Int) -> Int { count <= 256 ? 4 : 2 }

    /// 1 … 2^width − 1: the multiples (or root digits) a step of `width` bits compares against.
    static func multiples(width: Int) -> [Int64] { Array(1..<(Int64(1) << Int64(width))) }

    /// Cheaper for public divisors: the product with d is local.
    package mutating func longDivision(_ n: Share, byPublic d: [Int64], bits: Int, quotientBits: Int?) async throws
        -> Share
    {
        guard d.allSatisfy({ $0 > 0 }) else { throw MPCError(.invalidArgument, "division by zero") }
        let divisorBits = Int64.bitWidth - (d.max() ?? 1).leadingZeroBitCount
        let compareBits = min(bits, divisorBits) + 2
        var unused = Share.zeros(0)
        return try await self.restoringDivision(
            n, bits: bits, quotientBits: quotientBits ?? bits, fractionBits: 0, fraction: &unused,
            compareBits: compareBits
        ) { engine, t, width in
            let multiples = Self.multiples(width: width)
            let atLeast = engine.not(
                try await engine.lessThan(
                    .concatenate(multiples.map { _ in t }), public: .list(multiples.flatMap { k in d.map { $0 * k } }),
                    bits: compareBits + width - 1))
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
            n, bits: bits, quotientBits: quotientBits, fractionBits: fractionBits, fraction: &fraction,
            compareBits: divisorBits + 2
        ) { engine, t, width in
            try await engine.divisionStep(t, by: d, width: width, compareBits: divisorBits + 2)
        }
        return (quotient, fraction)
    }

    private mutating func restoringDivision(
        _ n: Share,
        bits: Int,
        quotientBits: Int,
        fractionBits: Int,
        fraction: inout Share,
        compareBits: Int,
        step: (inout Self, Share, Int) async throws -> (Share, Share)
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
        // Several quotient bits per step (`stepBits`), the first step of each part taking what is left over; the
        // fraction's bits continue the same way with zero digits.
        // A step of w bits compares (compareBits + w − 1)-bit values, within the engine's comparisons.
        let chunk = max(1, min(Self.stepBits(count: count), Self.traits.domain.comparisonBits - compareBits + 1))
        var quotient = Share.zeros(count)
        for (length, isFraction) in [(steps, false), (fractionBits, true)] {
            var top = length - 1
            while top >= 0 {
                let width = (top + 1) % chunk == 0 ? chunk : (top + 1) % chunk
                var t = remainder.scaled(by: Int64(1) << Int64(width))
                if !isFraction {
                    for i in 0..<width { t = t + digit(top - i).scaled(by: Int64(1) << Int64(width - 1 - i)) }
                }
                let (value, subtracted) = try await step(&self, t, width)
                remainder = t - subtracted
                let low = top - width + 1
                if isFraction {
                    fraction = fraction + value.scaled(by: Int64(1) << Int64(low))
                } else {
                    quotient = quotient + value.scaled(by: Int64(1) << Int64(low))
                }
                top = low - 1
            }
        }
        return quotient
    }

    /// The digit-by-digit method, several root bits per step (`stepBits`, as the division): with root r so far and
    /// the next 2c bits of n appended to the remainder R, the next digit q < 2^c is the number of k = 1 … 2^c − 1
    /// with R ≥ (2^c·r + k)² − 4^c·r² = 2^(c+1)·r·k + k², compared in one batch; R then loses the sum over those k
    /// of 2^(c+1)·r + 2k − 1 (one round of products).
    package mutating func squareRootByDigits(_ n: Share, bits: Int) async throws -> Share {
        let limit = Self.traits.domain.rootBits
        guard bits % 2 == 0, (2...limit).contains(bits) else {
            throw MPCError(.invalidArgument, "square root of \(bits)-bit values: use an even 2...\(limit)")
        }
        let count = n.count
        let digits = try await self.bitDecompose(n, bits: bits)
        func digit(_ j: Int) -> Share { digits.slice(j * count..<(j + 1) * count) }
        let chunk = Self.stepBits(count: count)
        var remainder = Share.zeros(count)
        var root = Share.zeros(count)
        var top = bits / 2 - 1  // the root bit this step starts at
        while top >= 0 {
            let c = (top + 1) % chunk == 0 ? chunk : (top + 1) % chunk
            remainder = remainder.scaled(by: Int64(1) << Int64(2 * c))
            for i in 0..<(2 * c) {
                remainder = remainder + digit(2 * top + 1 - i).scaled(by: Int64(1) << Int64(2 * c - 1 - i))
            }
            let ks = Self.multiples(width: c)
            let scaled = root.scaled(by: Int64(1) << Int64(c + 1))
            let trials = Share.concatenate(ks.map { self.adding(scaled.scaled(by: $0), constant: $0 * $0) })
            // R ≤ 2^(2c)·(2r + 1) and every trial below 2^(2c+1)·(r + 1), with r < 2^(bits/2 − c): below
            // 2^(bits/2 + c + 1), so bits/2 + c + 3 signed bits leave a bit to spare.
            let atLeast = self.not(
                try await self.lessThan(.concatenate(ks.map { _ in remainder }), trials, bits: bits / 2 + c + 3))
            let products = try await self.multiply(atLeast, .concatenate(ks.map { _ in scaled }))
            let odd = atLeast.multiplied(byPublic: .blocks(.list(ks.map { 2 * $0 - 1 }), length: count))
            remainder = remainder - (products + odd).blockSum(count)
            root = root.scaled(by: Int64(1) << Int64(c)) + atLeast.blockSum(count)
            top -= c
        }
        return root
    }
}
