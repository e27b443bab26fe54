import CConsortField

/// The distributed zero-knowledge proof of a batch of AND gates (`Specs/engines.md` §3; BGIN19 §4 over the field
/// GF(2^64), `BinaryField`): the same protocol as `ProductProof`, with bytes of 8 gates in the first round.
///
/// Claim: Σ_w ρ_w Σ_j σ_j a_{w,j} b_{w,j} = Σ_w ρ_w Σ_j σ_j e_{w,j} + w_R, for gate j of byte w, weights σ (8) and ρ (one
/// per byte), and the prover's mask w_R = u_R·v_R. With f_w, g_w of degree 7 through (σ_j a_{w,j}) and (b_{w,j}) at
/// ω_0 … ω_7 and the mask as λ_0·u_R, λ_0·v_R, p = Σ_w ρ_w f_w g_w + λ_0² u_R v_R has degree 14 and Σ_{j<8} p(ω_j) is
/// the claim's left side; the prover shares p(ω_1 … ω_14), the verifiers take p(ω_0) from the claim, pick r and go on
/// with u_w = ρ_w f_w(r), v_w = g_w(r) — bytes looked up in tables, since f_w(r) is GF(2)-linear in the byte's bits.
enum BooleanProof {
    /// ω_0 … ω_14: the field elements 1 … 15.
    static let points: [UInt64] = (1...15).map { UInt64($0) }
    /// Challenges have the top bit set: never an evaluation point, 0 or 1.
    static let challengeBit: UInt64 = 1 << 63

    static func challenge(_ prg: inout PRG) -> UInt64 { prg.words(1)[0] | Self.challengeBit }

    /// σ and one ρ per byte, from a seed the two verifiers share.
    struct Weights {
        var sigma: [UInt64]
        var rho: [UInt64]

        init(seed: [UInt64], groups: Int) {
            var prg = PRG(key: PRG.key(words: seed))
            self.sigma = prg.words(8)
            self.rho = prg.words(groups)
        }
    }

    /// f_w(x) as a table of the byte's bits (with σ) and g_w(x) (without).
    static func tables(at x: UInt64, sigma: [UInt64]) -> (f: [UInt64], g: [UInt64]) {
        let lambda = BinaryField.lagrange(at: x, points: Array(Self.points[0..<8]))
        return (
            BinaryField.byteTable(zip(lambda, sigma).map { BinaryField.multiply($0, $1) }),
            BinaryField.byteTable(lambda)
        )
    }

    /// One side's share of the claim: Σ_w ρ_w L_σ(e_w) + its share of w_R.
    static func claim(_ statement: BooleanStatement, _ weights: Weights, maskW: UInt64) -> UInt64 {
        let table = BinaryField.byteTable(weights.sigma)
        return Self.bytes(statement.e) { e in
            consort_gf64_weighted_lookup(e.baseAddress, weights.rho, e.count, table)
        } ^ maskW
    }

    /// The prover's p(ω_1) … p(ω_14).
    static func firstRoundValues(_ statement: BooleanStatement, _ weights: Weights, maskU: UInt64, maskV: UInt64)
        -> [UInt64]
    {
        var f = [UInt64]()
        var g = [UInt64]()
        for k in 8..<15 {
            let (fk, gk) = Self.tables(at: Self.points[k], sigma: weights.sigma)
            f += fk
            g += gk
        }
        var out = [UInt64](repeating: 0, count: 7)
        var diagonal = [UInt64](repeating: 0, count: 8)
        Self.bytes(statement.a) { a in
            Self.bytes(statement.b) { b in
                consort_gf64_first_round(a.baseAddress, b.baseAddress, weights.rho, a.count, f, g, &out, &diagonal)
            }
        }
        let mask = BinaryField.multiply(maskU, maskV)
        let lambdaZero = (8..<15).map {
            BinaryField.lagrange(at: Self.points[$0], points: Array(Self.points[0..<8]))[0]
        }
        return (1..<8).map { BinaryField.multiply(weights.sigma[$0], diagonal[$0]) }
            + (0..<7).map { out[$0] ^ BinaryField.multiply(BinaryField.multiply(lambdaZero[$0], lambdaZero[$0]), mask) }
    }

    /// The vectors after the first round at r, padded with zeros to `length`, the mask λ_0(r)·(u_R, v_R) after the
    /// gates.
    static func folded(
        _ statement: BooleanStatement, _ weights: Weights, r: UInt64, maskU: UInt64, maskV: UInt64, length: Int
    ) -> Vectors {
        let groups = 8 * statement.e.count
        precondition(length > groups && length.nonzeroBitCount == 1)
        let (f, g) = Self.tables(at: r, sigma: weights.sigma)
        var u = [UInt64](repeating: 0, count: length)
        var v = [UInt64](repeating: 0, count: length)
        Self.bytes(statement.a) { a in
            Self.bytes(statement.b) { b in
                u.withUnsafeMutableBufferPointer { u in
                    v.withUnsafeMutableBufferPointer { v in
                        consort_gf64_fold_first(
                            a.baseAddress, b.baseAddress, weights.rho, groups, f, g, u.baseAddress, v.baseAddress)
                    }
                }
            }
        }
        let lambdaZero = BinaryField.lagrange(at: r, points: Array(Self.points[0..<8]))[0]
        u[groups] = BinaryField.multiply(lambdaZero, maskU)
        v[groups] = BinaryField.multiply(lambdaZero, maskV)
        return Vectors(u: u, v: v)
    }

    /// The binary rounds' length: the bytes plus the mask, to a power of two.
    static func tailLength(groups: Int) -> Int {
        var n = 1
        while n < groups + 1 { n <<= 1 }
        return n
    }

    private static func bytes<R>(_ words: [UInt64], _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        words.withUnsafeBytes { body($0.bindMemory(to: UInt8.self)) }
    }

    /// One side's u and v, folded round by round.
    struct Vectors {
        private(set) var u: [UInt64]
        private(set) var v: [UInt64]

        var length: Int { self.u.count }

        func roundCoefficients() -> (c0: UInt64, c2: UInt64) {
            var c0: UInt64 = 0
            var c2: UInt64 = 0
            consort_gf64_round(self.u, self.v, self.length / 2, &c0, &c2)
            return (c0, c2)
        }

        mutating func fold(_ r: UInt64) {
            let half = self.length / 2
            self.u.withUnsafeMutableBufferPointer { consort_gf64_fold($0.baseAddress, half, r) }
            self.v.withUnsafeMutableBufferPointer { consort_gf64_fold($0.baseAddress, half, r) }
            self.u.removeLast(half)
            self.v.removeLast(half)
        }

        var last: (u: UInt64, v: UInt64) {
            precondition(self.length == 1)
            return (self.u[0], self.v[0])
        }
    }

    /// A verifier's running share of the claim.
    struct Claim {
        private(set) var share: UInt64

        init(_ share: UInt64) { self.share = share }

        /// p(ω_0) makes Σ_{j<8} p(ω_j) the claim; then C ← p(r).
        mutating func advanceFirst(values: [UInt64], r: UInt64) {
            precondition(values.count == 14)
            let first = values[0..<7].reduce(self.share, ^)
            let basis = BinaryField.lagrange(at: r, points: BooleanProof.points)
            self.share = zip(basis, [first] + values).reduce(0) { $0 ^ BinaryField.multiply($1.0, $1.1) }
        }

        /// C ← c0 + c1·r + c2·r² with c1 = C + c2 (C = q(0) + q(1) = c1 + c2 in characteristic 2).
        mutating func advance(c0: UInt64, c2: UInt64, r: UInt64) {
            let c1 = self.share ^ c2
            self.share = c0 ^ BinaryField.multiply(c1, r) ^ BinaryField.multiply(BinaryField.multiply(c2, r), r)
        }
    }
}
