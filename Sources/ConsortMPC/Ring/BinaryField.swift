import CConsortField

/// GF(2^64) = GF(2)[X]/(X^64 + X^4 + X^3 + X + 1), each element a 64-bit word (bit i: the coefficient of X^i):
/// addition is XOR, multiplication carry-less with one reduction (`CConsortField`, PCLMULQDQ where the CPU has it).
/// The field of the AND gates' proofs: a GF(2) equation holds in it unchanged, and every nonzero element is invertible,
/// so any distinct elements serve as evaluation points.
enum BinaryField {
    /// X^64 + X^4 + X^3 + X + 1 is irreducible over GF(2) (the tests check it by Rabin's test).
    static let reduction: UInt64 = 0x1B

    @inline(__always)
    static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 { consort_gf64_multiply(a, b) }

    /// a^(2^64 − 2) = a^-1 for a ≠ 0.
    static func inverse(_ a: UInt64) -> UInt64 {
        precondition(a != 0, "zero has no inverse")
        var result: UInt64 = 1
        var power = a
        // 2^64 − 2 = 0b111…110: every bit but the lowest.
        for bit in 0..<64 {
            if bit > 0 { result = Self.multiply(result, power) }
            power = Self.multiply(power, power)
        }
        return result
    }

    /// λ_j(x) for the Lagrange basis of `points` (distinct).
    static func lagrange(at x: UInt64, points: [UInt64]) -> [UInt64] {
        points.indices.map { j in
            var numerator: UInt64 = 1
            var denominator: UInt64 = 1
            for i in points.indices where i != j {
                numerator = Self.multiply(numerator, x ^ points[i])
                denominator = Self.multiply(denominator, points[j] ^ points[i])
            }
            return Self.multiply(numerator, Self.inverse(denominator))
        }
    }

    /// The 256 values Σ_{j ∈ byte} coefficients[j] of a GF(2)-linear map of bytes into the field.
    static func byteTable(_ coefficients: [UInt64]) -> [UInt64] {
        precondition(coefficients.count == 8)
        var table = [UInt64](repeating: 0, count: 256)
        for byte in 1..<256 {
            let low = byte & -byte
            table[byte] = table[byte ^ low] ^ coefficients[low.trailingZeroBitCount]
        }
        return table
    }
}
