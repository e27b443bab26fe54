/// Fixed-point encoding of reals in Z_2^64: x ↦ round(x · 2^f) in two's complement.
///
/// With f fractional bits, a value must satisfy |x| < 2^(62−f) for every operation on it to be exact up to the
/// stated rounding. Truncation after a multiplication is deterministic (floor of the exact product / 2^f, see
/// `MPCEngine.truncate`), so a product is off by less than one unit in the last place (2^−f).
package struct FixedPoint: Sendable, Hashable {
    package var fractionalBits: Int

    package static let standard = FixedPoint(fractionalBits: 16)

    package init(fractionalBits: Int) {
        precondition((0...40).contains(fractionalBits), "fractional bits must be 0...40")
        self.fractionalBits = fractionalBits
    }

    package var scale: Double { Double(UInt64(1) << UInt64(self.fractionalBits)) }

    package func encode(_ value: Double) -> UInt64 {
        UInt64(bitPattern: Int64((value * self.scale).rounded()))
    }

    package func decode(_ value: UInt64) -> Double {
        Double(Int64(bitPattern: value)) / self.scale
    }

    package func encode(_ values: [Double]) -> [UInt64] { values.map(self.encode) }
    package func decode(_ values: [UInt64]) -> [Double] { values.map(self.decode) }
}
