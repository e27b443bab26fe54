extension Replicated3.Engine {
    /// floor(x / 2^m) for signed x, exactly — deterministic, no probability of a wrong result.
    ///
    /// With x = a + b (mod 2^64) split as in `splitAddends`: floor(x/2^m) = (a >> m) + (b >> m) + c_m − (w + s₆₃)·2^(64−m),
    /// where c_m is the carry into bit m, w the carry out of bit 63 and s₆₃ the sign bit of x. Rounds: 1 + 1 +
    /// ⌈log₂ 63⌉ + 1 + 2 = 11, about 56 bytes per party per element.
    package mutating func truncate(_ x: Replicated3.Share, by m: Int) async throws -> Replicated3.Share {
        guard (1...63).contains(m) else { throw MPCError(.invalidArgument, "truncation by \(m) bits: use 1...63") }
        let (a, b, aHigh, bHigh) = try await self.splitAddends(x, bits: 64, highBits: m)
        let g = try await self.and(a, b)
        let p = a ^ b
        let carries = try await self.carries(generate: g, propagate: p, into: [m, 63])
        let (carryM, carry63) = (carries[0], carries[1])
        let p63 = p.plane(63)
        // w = majority(a₆₃, b₆₃, carry₆₃) = g₆₃ ⊕ (p₆₃ ∧ carry₆₃); s₆₃ = p₆₃ ⊕ carry₆₃.
        let w = g.plane(63) ^ (try await self.and(p63, carry63))
        let s63 = p63 ^ carry63
        let arithmetic = try await self.bitToArithmetic(.stack([carryM, w, s63]))
        let n = x.count
        let c = arithmetic.slice(0..<n)
        let wrap = arithmetic.slice(n..<2 * n) + arithmetic.slice(2 * n..<3 * n)
        return aHigh! + bHigh! + c - wrap.scaled(by: Int64(bitPattern: UInt64(1) << UInt64(64 - m)))
    }
}
