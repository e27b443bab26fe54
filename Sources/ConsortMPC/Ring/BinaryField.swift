import CConsortField

/// GF(2^64) = GF(2)[X]/(X^64 + X^4 + X^3 + X + 1), each element a 64-bit word (bit i: the coefficient of X^i):
/// addition is XOR, multiplication carry-less with one reduction (`CConsortField`, PCLMULQDQ where the CPU has it).
/// The field of the AND gates' proofs: a GF(2) equation holds in it unchanged, and a nonzero polynomial of degree D
/// vanishes at a random element with probability ≤ D / 2^64.
enum BinaryField {
    /// X^64 + X^4 + X^3 + X + 1 is irreducible over GF(2) (the tests check it by Rabin's test).
    static let reduction: UInt64 = 0x1B

    @inline(__always)
    static func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 { consort_gf64_multiply(a, b) }

    /// The 8 byte tables of 64 coefficients (table k from coefficients 8k ..< 8k + 8): Σ_{bit j of x} c_j of a word x
    /// is the XOR of each byte's entry.
    static func byteTables(_ coefficients: [UInt64]) -> [UInt64] {
        precondition(coefficients.count == 64)
        return (0..<8).flatMap { Self.byteTable(Array(coefficients[(8 * $0)..<(8 * $0 + 8)])) }
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
