import CConsortField
import Testing

@testable import ConsortMPC

/// GF(2^64) of the AND gates' proofs: the modulus is irreducible and multiplication reduces by it.
@Suite("GF(2^64)")
struct BinaryFieldTests {
    /// Polynomials over GF(2) of degree < 128, as bits.
    static func remainder(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var a = a
        let degree = 127 - b.leadingZeroBitCount
        while a != 0 && 127 - a.leadingZeroBitCount >= degree {
            a ^= b << (127 - a.leadingZeroBitCount - degree)
        }
        return a
    }

    static func gcd(_ a: UInt128, _ b: UInt128) -> UInt128 {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, Self.remainder(a, b)) }
        return a
    }

    /// a·b mod f, for a, b of degree < 64 and f of degree 64.
    static func multiply(_ a: UInt128, _ b: UInt128, modulo f: UInt128) -> UInt128 {
        var product: UInt128 = 0
        for bit in 0..<64 where (b >> bit) & 1 == 1 { product ^= a << bit }
        return Self.remainder(product, f)
    }

    /// Rabin's test for a degree-64 polynomial: X^(2^64) ≡ X and gcd(X^(2^32) − X, f) = 1.
    static func irreducible(_ f: UInt128) -> Bool {
        var power: UInt128 = 2
        for _ in 0..<32 { power = Self.multiply(power, power, modulo: f) }
        let coprime = Self.gcd(f, power ^ 2) == 1
        for _ in 32..<64 { power = Self.multiply(power, power, modulo: f) }
        return coprime && power == 2
    }

    @Test("X^64 + X^4 + X^3 + X + 1 is irreducible (Rabin's test; a square fails it), and the field reduces by it")
    func modulus() {
        #expect(Self.irreducible((UInt128(1) << 64) | UInt128(BinaryField.reduction)))
        // (X^32 + X^7 + X^3 + X^2 + 1)² = X^64 + X^14 + X^6 + X^4 + 1 in characteristic 2.
        #expect(!Self.irreducible((UInt128(1) << 64) | (1 << 14) | (1 << 6) | (1 << 4) | 1))
        #expect(BinaryField.multiply(1 << 63, 2) == BinaryField.reduction)
        var generator = SplitMix64(seed: 4)
        let modulus = (UInt128(1) << 64) | UInt128(BinaryField.reduction)
        for _ in 0..<100 {
            let (a, b) = (generator.next(), generator.next())
            #expect(UInt128(BinaryField.multiply(a, b)) == Self.multiply(UInt128(a), UInt128(b), modulo: modulus))
        }
    }

    @Test("multiplication is a commutative, associative product that distributes over XOR")
    func arithmetic() {
        var generator = SplitMix64(seed: 5)
        for _ in 0..<200 {
            let (a, b, c) = (generator.next(), generator.next(), generator.next())
            #expect(BinaryField.multiply(a, b) == BinaryField.multiply(b, a))
            #expect(
                BinaryField.multiply(BinaryField.multiply(a, b), c)
                    == BinaryField.multiply(a, BinaryField.multiply(b, c)))
            #expect(BinaryField.multiply(a, b ^ c) == BinaryField.multiply(a, b) ^ BinaryField.multiply(a, c))
        }
        #expect(BinaryField.multiply(0x1234, 1) == 0x1234)
    }

    @Test("a byte table sums the coefficients of the byte's set bits")
    func byteTable() {
        let coefficients: [UInt64] = [1, 2, 4, 8, 16, 32, 64, 128].map { $0 * 0x0101 }
        let table = BinaryField.byteTable(coefficients)
        #expect(
            table[0] == 0 && table[0b1010_0101] == coefficients[0] ^ coefficients[2] ^ coefficients[5] ^ coefficients[7]
        )
    }

    @Test("the weighted sum Σ_w ρ_w Σ_j σ_j (bit j of e_w) by byte tables equals the sum gate by gate")
    func weightedSum() {
        var generator = SplitMix64(seed: 91)
        let sigma = (0..<64).map { _ in generator.next() }
        let tables = BinaryField.byteTables(sigma)
        for words in [0, 1, 3, 257] {
            let e = (0..<words).map { w in w == 0 ? UInt64.max : generator.next() }
            let rho = (0..<words).map { _ in generator.next() }
            var expected: UInt64 = 0
            for w in 0..<words {
                for j in 0..<64 where (e[w] >> UInt64(j)) & 1 == 1 {
                    expected ^= BinaryField.multiply(rho[w], sigma[j])
                }
            }
            #expect(consort_gf64_weighted_sum(e, rho, words, tables) == expected, "\(words) words")
        }
    }

    /// `path`: 0 the best this CPU has, 1 portable, 2 PCLMULQDQ at most.
    @Test("the round fold and the first round's fold give the same words on every path", arguments: [0, 1, 2])
    func folds(path: Int32) {
        var generator = SplitMix64(seed: 97)
        let sigma = (0..<64).map { _ in generator.next() }
        let tables = BinaryField.byteTables(sigma)
        func lookup(_ x: UInt64) -> UInt64 {
            (0..<8).reduce(0) { $0 ^ tables[256 * $1 + Int((x >> UInt64(8 * $1)) & 0xff)] }
        }
        // Lengths around the 8 words a vector takes: whole vectors, a tail, nothing but a tail.
        for half in [0, 5, 8, 21] {
            let x = (0..<(2 * half)).map { _ in generator.next() }
            let r = generator.next() | 1 << 63
            let expected = (0..<half).map { x[$0] ^ BinaryField.multiply(r, x[$0 + half] ^ x[$0]) }
            let (a, b, rho) = (
                (0..<half).map { _ in generator.next() }, (0..<half).map { _ in generator.next() },
                (0..<half).map { _ in generator.next() }
            )
            let expectedU = (0..<half).map { BinaryField.multiply(rho[$0], lookup(a[$0])) }
            let expectedV = b.map(lookup)
            consort_gf64_use_path(path)
            defer { consort_gf64_use_path(0) }
            var folded = x
            folded.withUnsafeMutableBufferPointer { consort_gf64_fold($0.baseAddress, half, r) }
            #expect(Array(folded.prefix(half)) == expected, "fold, half \(half)")
            var (u, v) = ([UInt64](repeating: 0, count: half), [UInt64](repeating: 0, count: half))
            u.withUnsafeMutableBufferPointer { u in
                v.withUnsafeMutableBufferPointer { v in
                    consort_gf64_grid_fold_first(a, b, rho, half, tables, u.baseAddress, v.baseAddress)
                }
            }
            #expect(u == expectedU && v == expectedV, "first fold, \(half) words")
        }
    }
}
