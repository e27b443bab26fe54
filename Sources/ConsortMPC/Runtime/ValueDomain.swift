/// What an engine's secret values can hold: the query checker proves every value, sum and moment of a query stays
/// inside it, and the compiler sizes comparisons, divisions and square roots from it.
///
/// Secret values are integers. `integerBits` is the width in which they are exact: in Z_2^64 every value is a
/// 64-bit two's-complement integer, so `integerBits` is 64; a prime-field engine with modulus p and statistical
/// security s would state the integer width its comparisons and truncations are correct for (about log₂ p − s − 1).
package struct ValueDomain: Sendable, Hashable, CustomStringConvertible {
    /// How the engine represents values, as a share envelope records it (e.g. "2^64").
    package var modulus: String
    /// Width of the exact signed integers (see above).
    package var integerBits: Int
    /// Statistical security parameter of the engine's masking (0: perfectly exact, as in Z_2^64).
    package var statisticalBits: Int

    package init(modulus: String, integerBits: Int, statisticalBits: Int = 0) {
        precondition((16...126).contains(integerBits), "an engine's integers must be 16...126 bits wide")
        self.modulus = modulus
        self.integerBits = integerBits
        self.statisticalBits = statisticalBits
    }

    /// Z_2^k: integers modulo 2^k, signed in two's complement.
    package static func ring(bits: Int) -> ValueDomain {
        ValueDomain(modulus: "2^\(bits)", integerBits: bits)
    }

    /// Every intermediate value has |x| < 2^valueBits: two bits of headroom, so that the difference of two values
    /// still has a sign bit and a comparison of them is exact.
    package var valueBits: Int { self.integerBits - 2 }
    /// Operands of exact division and the moments of aggregates (n·Σx², …) stay below 2^exactBits, leaving room
    /// for the comparisons of a long division.
    package var exactBits: Int { self.integerBits - 3 }
    /// The widest operand of a square root (even, below `exactBits`).
    package var rootBits: Int { (self.integerBits - 4) & ~1 }
    /// The widest comparison: |x − y| < 2^(comparisonBits − 1).
    package var comparisonBits: Int { self.integerBits }

    package var description: String {
        let exactness = self.statisticalBits == 0 ? "exact" : "statistical security \(self.statisticalBits) bits"
        return "integers modulo \(self.modulus): signed values of \(self.integerBits) bits, \(exactness)"
    }
}
