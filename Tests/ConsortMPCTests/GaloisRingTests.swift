import Testing

@testable import ConsortMPC

@Suite("Galois ring GR(2^64, 48)")
struct GaloisRingTests {
    /// f mod 2 as a bit mask: X^48 + X^9 + X^7 + X^4 + 1.
    static let modulus: UInt64 = (1 << 48) | (1 << 9) | (1 << 7) | (1 << 4) | 1

    /// a·b mod f over GF(2), degrees < 48.
    static func multiplyMod2(_ a: UInt64, _ b: UInt64, modulus: UInt64 = Self.modulus) -> UInt64 {
        var a = a
        var b = b
        var result: UInt64 = 0
        while b != 0 {
            if b & 1 == 1 { result ^= a }
            b >>= 1
            a <<= 1
            if a >> 48 & 1 == 1 { a ^= modulus }
        }
        return result
    }

    /// X^(2^k) mod f over GF(2).
    static func frobeniusOfX(_ k: Int, modulus: UInt64 = Self.modulus) -> UInt64 {
        var x: UInt64 = 2
        for _ in 0..<k { x = Self.multiplyMod2(x, x, modulus: modulus) }
        return x
    }

    /// Rabin's test for degree 48: X^(2^48) ≡ X, and gcd(X^(2^(48/p)) − X, f) = 1 for the primes p = 2, 3 of 48.
    static func isIrreducible(_ f: UInt64) -> Bool {
        Self.frobeniusOfX(48, modulus: f) == 2 && Self.gcdMod2(Self.frobeniusOfX(24, modulus: f) ^ 2, f) == 1
            && Self.gcdMod2(Self.frobeniusOfX(16, modulus: f) ^ 2, f) == 1
    }

    static func gcdMod2(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var a = a
        var b = b
        while b != 0 {
            while a != 0 && a.bitWidth - a.leadingZeroBitCount >= b.bitWidth - b.leadingZeroBitCount {
                a ^= b << UInt64((b.leadingZeroBitCount - a.leadingZeroBitCount))
            }
            (a, b) = (b, a)
        }
        return a
    }

    @Test("f is irreducible mod 2 (Rabin's test), so the exceptional set has 2^48 elements")
    func irreducible() {
        #expect(Self.isIrreducible(Self.modulus))
        // The test can say no: X^48 + X^9 + X^7 + X^4 (divisible by X) and X^48 + 1 = (X^24 + 1)^2 are reducible.
        #expect(!Self.isIrreducible(Self.modulus ^ 1))
        #expect(!Self.isIrreducible((1 << 48) | 1))
    }

    static func random(_ generator: inout SplitMix64) -> GaloisRing.Element {
        GaloisRing.Element(coefficients: (0..<48).map { _ in generator.next() })
    }

    @Test("ring axioms on random elements; Z_2^64 embeds as the constants")
    func axioms() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<20 {
            let a = Self.random(&generator)
            let b = Self.random(&generator)
            let c = Self.random(&generator)
            #expect(a * b == b * a)
            #expect((a * b) * c == a * (b * c))
            #expect(a * (b + c) == a * b + a * c)
            #expect(a * GaloisRing.Element(constant: 1) == a)
            let s = generator.next()
            let t = generator.next()
            #expect(
                GaloisRing.Element(constant: s) * GaloisRing.Element(constant: t)
                    == GaloisRing.Element(constant: s &* t))
            #expect(a * GaloisRing.Element(constant: s) == a.scaled(by: s))
        }
    }

    @Test("reduction agrees with the definition: X^47 · X = X^48 = −(X^9 + X^7 + X^4 + 1)")
    func reduction() {
        let x47 = GaloisRing.Element(exceptional: 1 << 47)
        let x = GaloisRing.Element(exceptional: 2)
        var expected = [UInt64](repeating: 0, count: 48)
        for i in [0, 4, 7, 9] { expected[i] = UInt64.max }
        #expect(x47 * x == GaloisRing.Element(coefficients: expected))
        // X^94 exercises the fold of a fold (k + 9 ≥ 48).
        let x94 = x47 * x47
        let again = (0..<94).reduce(GaloisRing.Element(constant: 1)) { power, _ in power * x }
        #expect(x94 == again)
    }

    @Test("differences of distinct exceptional elements are units: mod 2 they are nonzero field elements")
    func exceptionalDifferences() {
        var generator = SplitMix64(seed: 8)
        for _ in 0..<50 {
            let r = generator.next() & GaloisRing.exceptionalMask
            let s = generator.next() & GaloisRing.exceptionalMask
            guard r != s else { continue }
            let difference = GaloisRing.Element(exceptional: r) - GaloisRing.Element(exceptional: s)
            // A unit has an odd coefficient; its reduction mod 2 is r XOR s ≠ 0.
            let mod2 = difference.coefficients.enumerated().reduce(UInt64(0)) {
                $0 | (($1.element & 1) << UInt64($1.offset))
            }
            #expect(mod2 == r ^ s)
            // And that field element is invertible: its (2^48 − 2)th power times it is 1.
            var power: UInt64 = 1
            var base = mod2
            var exponent: UInt64 = (1 << 48) - 2
            while exponent != 0 {
                if exponent & 1 == 1 { power = Self.multiplyMod2(power, base) }
                base = Self.multiplyMod2(base, base)
                exponent >>= 1
            }
            #expect(Self.multiplyMod2(power, mod2) == 1)
        }
    }

    @Test("accumulated products reduced once equal the sum of reduced products")
    func accumulation() {
        var generator = SplitMix64(seed: 9)
        let pairs = (0..<10).map { _ in (Self.random(&generator), Self.random(&generator)) }
        let expected = pairs.reduce(GaloisRing.Element.zero) { $0 + $1.0 * $1.1 }
        var wide = [UInt64](repeating: 0, count: 95)
        var out = [UInt64](repeating: 0, count: 48)
        wide.withUnsafeMutableBufferPointer { wide in
            for (a, b) in pairs {
                a.coefficients.withUnsafeBufferPointer { a in
                    b.coefficients.withUnsafeBufferPointer { b in
                        GaloisRing.accumulateProduct(a.baseAddress!, b.baseAddress!, into: wide.baseAddress!)
                    }
                }
            }
            out.withUnsafeMutableBufferPointer { GaloisRing.reduce(wide.baseAddress!, into: $0.baseAddress!) }
        }
        #expect(GaloisRing.Element(coefficients: out) == expected)
    }
}
