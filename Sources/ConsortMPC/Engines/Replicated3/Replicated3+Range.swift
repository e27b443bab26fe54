extension Replicated3.Engine {
    /// Per span, 1 if an element x of the span lies outside [0, width]: from 4096 elements on, one bit sharing of x and
    /// one pass over its planes, instead of the sign bits of x and of width − x (two sharings, two adders). The carry
    /// of a + b ripples, c′ = c ⊕ (a ⊕ c)(b ⊕ c), and in the same rounds the sum bits sⱼ = aⱼ ⊕ bⱼ ⊕ cⱼ meet the
    /// width's bits in a comparison from the lowest bit up: g′ = sⱼ ∧ g where wⱼ = 1, sⱼ ∨ g where wⱼ = 0, so that
    /// g = [x mod 2^bits > width] at the top (a width below 2^(bits − 1) has 0 in every bit above its own, so any high
    /// bit of x — a negative x included — makes g true). 2·(bits − 1) AND gates per element in `bits` rounds, against
    /// about 244 for two 64-bit sign bits; then `anySet`.
    package mutating func anyOutside(
        _ x: Replicated3.Share, widths: [Int64], spans: [Range<Int>], bits: Int
    ) async throws -> Replicated3.Share {
        guard (2...64).contains(bits) else { throw MPCError(.invalidArgument, "a range check needs 2...64 bits") }
        guard widths.count == spans.count else {
            throw MPCError(.invalidArgument, "anyOutside: \(widths.count) widths for \(spans.count) spans")
        }
        guard spans.allSatisfy({ $0.lowerBound >= 0 && $0.upperBound <= x.count }) else {
            throw MPCError(.invalidArgument, "a span lies outside the vector")
        }
        guard widths.allSatisfy({ $0 >= 0 && (bits == 64 || $0 < Int64(1) << Int64(bits - 1)) }) else {
            throw MPCError(.invalidArgument, "a range check's width must lie in [0, 2^\(bits - 1))")
        }
        guard x.count >= Replicated3.rippleMinimum else {
            return try await self.outsideBySigns(x, widths: widths, spans: spans, bits: bits)
        }
        var width = [UInt64](repeating: 0, count: x.count)
        for (span, w) in zip(spans, widths) {
            width.replaceSubrange(span, with: repeatElement(UInt64(w), count: span.count))
        }
        // Plane j of NOT width: where the comparison ORs.
        let orWhere = BitMatrix.planes(width, bits: bits).map { ~$0 }
        let words = (x.count + 63) / 64
        func notWidth(_ j: Int) -> [UInt64] { Array(orWhere[(j * words)..<((j + 1) * words)]) }

        let (a, b, _, _) = try await self.splitAddends(x, bits: bits)
        var carry = try await self.and(a.plane(0), b.plane(0))
        var greater = (a.plane(0) ^ b.plane(0)).masked(by: notWidth(0))
        for j in 1..<bits {
            let (aj, bj, m) = (a.plane(j), b.plane(j), notWidth(j))
            // g′ = ((s ⊕ m) ∧ (g ⊕ m)) ⊕ m: s ∧ g where m = 0, s ∨ g where m = 1.
            let left = (aj ^ bj ^ carry).xoring(public: m, party: self.party)
            let right = greater.xoring(public: m, party: self.party)
            if j == bits - 1 {
                greater = try await self.and(left, right).xoring(public: m, party: self.party)
            } else {
                let products = try await self.and(.stack([aj ^ carry, left]), .stack([bj ^ carry, right]))
                carry = carry ^ products.plane(0)
                greater = products.plane(1).xoring(public: m, party: self.party)
            }
        }
        return try await self.anySet(greater, spans: spans)
    }
}
