import CConsortRing

/// The Galois ring GR(2^64, 48) = Z_2^64[X]/(f), f = X^48 + X^9 + X^7 + X^4 + 1 (irreducible mod 2; the tests
/// prove it with Rabin's test). Z_2^64 sits inside as the constants.
///
/// The distributed proofs of the active engine need random evaluation points where Z_2^64 has almost none: a nonzero
/// polynomial over Z_2^64 can vanish on half the ring. GR(2^64, 48) has an **exceptional set** of 2^48 elements whose
/// pairwise differences are units — the elements with 0/1 coefficients, the lifts of GF(2^48) — so a nonzero
/// polynomial of degree D vanishes at a random point of it with probability ≤ D / 2^48 (Boyle, Gilboa, Ishai, Nof,
/// Asiacrypt 2020, §3). Such an element is stored as a 48-bit mask; multiplying by it needs no multiplications.
///
/// Elements are 48 little-endian coefficients; vectors are flat buffers of 48 words per element.
package enum GaloisRing {
    package static let degree = 48
    /// X^48 ≡ −(X^9 + X^7 + X^4 + 1): the exponents the top coefficients fold back onto.
    static let taps = (0, 4, 7, 9)
    /// The masks of exceptional elements are the low 48 bits.
    package static let exceptionalMask: UInt64 = (1 << 48) - 1

    /// One element, for the handful of scalars a proof keeps (claims, coefficients, masks).
    package struct Element: Equatable, Sendable {
        package var coefficients: [UInt64]

        package init(coefficients: [UInt64]) {
            precondition(coefficients.count == GaloisRing.degree)
            self.coefficients = coefficients
        }

        package static let zero = Element(coefficients: [UInt64](repeating: 0, count: GaloisRing.degree))

        /// The constant c (Z_2^64 inside the ring).
        package init(constant c: UInt64) {
            var coefficients = [UInt64](repeating: 0, count: GaloisRing.degree)
            coefficients[0] = c
            self.coefficients = coefficients
        }

        /// The exceptional element whose coefficients are the bits of `mask`.
        package init(exceptional mask: UInt64) {
            self.coefficients = (0..<GaloisRing.degree).map { (mask >> UInt64($0)) & 1 }
        }

        /// A uniformly random element from `prg`.
        package static func random(_ prg: inout PRG) -> Element {
            Element(coefficients: prg.words(GaloisRing.degree))
        }

        package static func + (a: Element, b: Element) -> Element {
            Element(coefficients: Ring.add(a.coefficients, b.coefficients))
        }

        package static func - (a: Element, b: Element) -> Element {
            Element(coefficients: Ring.subtract(a.coefficients, b.coefficients))
        }

        package static func * (a: Element, b: Element) -> Element {
            var out = [UInt64](repeating: 0, count: GaloisRing.degree)
            a.coefficients.withUnsafeBufferPointer { a in
                b.coefficients.withUnsafeBufferPointer { b in
                    out.withUnsafeMutableBufferPointer { out in
                        GaloisRing.multiply(a.baseAddress!, b.baseAddress!, into: out.baseAddress!)
                    }
                }
            }
            return Element(coefficients: out)
        }

        package func scaled(by c: UInt64) -> Element { Element(coefficients: Ring.scale(self.coefficients, by: c)) }
    }

    // MARK: Products

    /// wide[0..<95] += a · b (no reduction): inner products reduce once at the end.
    @inline(__always)
    static func accumulateProduct(
        _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, into wide: UnsafeMutablePointer<UInt64>
    ) {
        consort_ring_accumulate_product(a, b, wide, Self.degree)
    }

    /// x_k ← γ·x_k for the `count` elements of a flat vector, γ exceptional.
    static func scale(_ x: UnsafeMutablePointer<UInt64>, count: Int, byExceptional gamma: UInt64) {
        for k in 0..<count { consort_ring_multiply_exceptional(x + k * Self.degree, gamma, x + k * Self.degree) }
    }

    /// Folds a 95-coefficient product modulo f into `out` (48 words), clearing the top of `wide` on the way.
    @inline(__always)
    static func reduce(_ wide: UnsafeMutablePointer<UInt64>, into out: UnsafeMutablePointer<UInt64>) {
        // Top down: X^(48+k) ≡ −(X^(k+9) + X^(k+7) + X^(k+4) + X^k); k + 9 may land above 47 and is folded later.
        for k in stride(from: Self.degree - 2, through: 0, by: -1) {
            let c = wide[Self.degree + k]
            wide[Self.degree + k] = 0
            wide[k] = wide[k] &- c
            wide[k + 4] = wide[k + 4] &- c
            wide[k + 7] = wide[k + 7] &- c
            wide[k + 9] = wide[k + 9] &- c
        }
        for i in 0..<Self.degree { out[i] = wide[i] }
    }

    /// out = a · b (out may not alias a or b).
    static func multiply(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, into out: UnsafeMutablePointer<UInt64>)
    {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * Self.degree - 1) { wide in
            wide.initialize(repeating: 0)
            Self.accumulateProduct(a, b, into: wide.baseAddress!)
            Self.reduce(wide.baseAddress!, into: out)
        }
    }
}
