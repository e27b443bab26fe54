extension MPCEngine {
    /// A share of `count` copies of a public constant.
    package func constant(_ value: Int64, count: Int) -> Share {
        self.constant(.repeating(value, count: count))
    }

    /// x + c for one public constant c.
    package func adding(_ x: Share, constant value: Int64) -> Share {
        self.adding(x, .repeating(value, count: x.count))
    }

    /// 1 − b for 0/1 shares b (local).
    package func not(_ bit: Share) -> Share {
        self.adding(-bit, constant: 1)
    }

    /// x < c for public c, for |x − c| < 2^(bits − 1).
    package mutating func lessThan(_ x: Share, public c: PublicVector, bits: Int) async throws -> Share {
        try await self.lessThanZero(self.subtracting(x, c), bits: bits)
    }

    /// x == c for public c, for |x − c| < 2^bits.
    package mutating func equal(_ x: Share, public c: PublicVector, bits: Int) async throws -> Share {
        try await self.equal(self.subtracting(x, c), .zeros(x.count), bits: bits)
    }

    /// The table of inner products as its pairs (an engine with nothing cheaper for tables).
    package mutating func innerProducts(rows: [Share], columns: [Share]) async throws -> Share {
        try await self.innerProducts(rows.flatMap { x in columns.map { (x, $0) } })
    }

    /// Σₖ xₖyₖ as a share of one element.
    package mutating func dot(_ x: Share, _ y: Share) async throws -> Share {
        try await self.innerProducts([(x, y)])
    }

    /// Fixed-point product: the exact product, then ⌊· / 2^f⌋ (error in [−2^−f, 0)).
    package mutating func multiplyFixed(_ x: Share, _ y: Share, _ fixedPoint: FixedPoint = .standard) async throws
        -> Share
    {
        try await self.truncate(try await self.multiply(x, y), by: fixedPoint.fractionalBits)
    }

    /// Fixed-point x / y for y > 0 and |x| · 2^f < 2^bits: ⌊·⌋ of the exact quotient's magnitude, with x's sign.
    package mutating func divideFixed(_ x: Share, by y: Share, bits: Int, _ fixedPoint: FixedPoint = .standard)
        async throws -> Share
    {
        let negative = try await self.lessThanZero(x, bits: Self.traits.domain.comparisonBits)
        let magnitude = try await self.select(negative, -x, x)
        let scaled = magnitude.scaled(by: Int64(1) << Int64(fixedPoint.fractionalBits))
        let quotient = try await self.divide(scaled, by: y, bits: bits, quotientBits: nil, divisorBits: nil)
        return try await self.select(negative, -quotient, quotient)
    }

    /// Fixed-point √x for x ≥ 0 with x · 2^f < 2^bits.
    package mutating func squareRootFixed(_ x: Share, bits: Int, _ fixedPoint: FixedPoint = .standard) async throws
        -> Share
    {
        try await self.squareRoot(x.scaled(by: Int64(1) << Int64(fixedPoint.fractionalBits)), bits: bits)
    }
}
