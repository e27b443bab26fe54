/// The distributed zero-knowledge proof that one party's multiplication messages of a batch were computed honestly
/// (Boyle, Gilboa, Ishai, Nof, CCS 2019 §4, over Z_2^64 via the Galois ring GR(2^64, 48) as in their Asiacrypt 2020
/// paper): the prover knows a `ProductStatement` in full, each verifier an additive share of it.
///
/// 1. The prover fixes a random pair (u_R, v_R) in the ring and shares it and w_R = u_R·v_R with the verifiers.
/// 2. The verifiers draw one exceptional θ_g per gate (a seed the prover learns only after step 1). With
///    u = (u_R, θ_g(1)·a_1, …), v = (v_R, b_1, …), zero-padded to N = 2^T, the gates hold only if
///    ⟨u, v⟩ = w_R − Σ_g θ_g·e_g =: C — otherwise except with probability 2^-48.
/// 3. T rounds halve the vectors: the prover shares c0 = ⟨u_lo, v_lo⟩ and c2 = ⟨u_hi − u_lo, v_hi − v_lo⟩; the
///    verifiers set c1 = C − 2·c0 − c2 (so p(0) + p(1) = C holds by construction for p = c0 + c1·X + c2·X²), draw an
///    exceptional r ∉ {0, 1}, fold u ← u_lo + r·(u_hi − u_lo), v likewise, and C ← p(r). A wrong claim survives a
///    round with probability ≤ 2 / (2^48 − 2) (p − p_true has degree ≤ 2 and differences of exceptional points are
///    units).
/// 4. At length one the verifiers exchange their shares of u, v, C and accept iff u·v = C. Element 0 carries
///    weight Π(1 − r_t), a unit, so the opened u and v are uniformly random: the verifiers learn nothing else.
///
/// Everything here is local arithmetic on one side's vectors; the engine moves the messages.
enum ProductProof {
    /// N: the statement's terms plus the mask, rounded up to a power of two.
    static func length(terms: Int) -> Int {
        var n = 1
        while n < terms + 1 { n <<= 1 }
        return n
    }

    /// T = log₂ N rounds.
    static func rounds(terms: Int) -> Int { Self.length(terms: terms).trailingZeroBitCount }

    /// One exceptional element per gate from the verifiers' seed.
    static func theta(seed: [UInt64], gates: Int) -> [UInt64] {
        precondition(seed.count == 2)
        var prg = PRG(key: PRG.key(words: seed))
        return prg.words(gates).map { $0 & GaloisRing.exceptionalMask }
    }

    /// A challenge point: exceptional, neither 0 nor 1 (so both fold weights r and 1 − r are units).
    static func challenge(_ prg: inout PRG) -> UInt64 {
        while true {
            let r = prg.words(1)[0] & GaloisRing.exceptionalMask
            if r > 1 { return r }
        }
    }

    /// One side's u and v (the prover's in full, a verifier's shares), folded in place round by round.
    struct Vectors {
        private(set) var u: [UInt64]
        private(set) var v: [UInt64]
        private(set) var length: Int

        /// Element 0 is the mask pair; term k sits at k + 1 as (θ_g·a_k, b_k); zeros up to `length` (a power of two
        /// that all three proofs of a session share, so they run in step).
        init(
            statement: ProductStatement, theta: [UInt64], maskU: GaloisRing.Element, maskV: GaloisRing.Element,
            length: Int? = nil
        ) {
            let d = GaloisRing.degree
            let length = max(length ?? 0, ProductProof.length(terms: statement.terms))
            precondition(length.nonzeroBitCount == 1, "proof vectors have a power-of-two length")
            var u = [UInt64](repeating: 0, count: length * d)
            var v = [UInt64](repeating: 0, count: length * d)
            u.replaceSubrange(0..<d, with: maskU.coefficients)
            v.replaceSubrange(0..<d, with: maskV.coefficients)
            let gates = statement.gateOfTerm()
            u.withUnsafeMutableBufferPointer { u in
                v.withUnsafeMutableBufferPointer { v in
                    for k in 0..<statement.terms {
                        let base = (k + 1) * d
                        var bits = theta[gates[k]]
                        let a = statement.a[k]
                        while bits != 0 {
                            u[base + bits.trailingZeroBitCount] = a
                            bits &= bits - 1
                        }
                        v[base] = statement.b[k]
                    }
                }
            }
            self.u = u
            self.v = v
            self.length = length
        }

        /// (c0, c2) of this round, on this side's vectors (the prover's are the real ones).
        func roundCoefficients() -> (c0: GaloisRing.Element, c2: GaloisRing.Element) {
            let d = GaloisRing.degree
            let half = self.length / 2
            var c0 = [UInt64](repeating: 0, count: d)
            var c2 = [UInt64](repeating: 0, count: d)
            self.u.withUnsafeBufferPointer { u in
                self.v.withUnsafeBufferPointer { v in
                    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 4 * d - 2 + 2 * d) { scratch in
                        let wide0 = scratch.baseAddress!
                        let wide2 = wide0 + (2 * d - 1)
                        let du = wide2 + (2 * d - 1)
                        let dv = du + d
                        scratch.initialize(repeating: 0)
                        for k in 0..<half {
                            let lo = k * d
                            let hi = (k + half) * d
                            GaloisRing.accumulateProduct(u.baseAddress! + lo, v.baseAddress! + lo, into: wide0)
                            for i in 0..<d {
                                du[i] = u[hi + i] &- u[lo + i]
                                dv[i] = v[hi + i] &- v[lo + i]
                            }
                            GaloisRing.accumulateProduct(du, dv, into: wide2)
                        }
                        c0.withUnsafeMutableBufferPointer { GaloisRing.reduce(wide0, into: $0.baseAddress!) }
                        c2.withUnsafeMutableBufferPointer { GaloisRing.reduce(wide2, into: $0.baseAddress!) }
                    }
                }
            }
            return (GaloisRing.Element(coefficients: c0), GaloisRing.Element(coefficients: c2))
        }

        /// u ← u_lo + r·(u_hi − u_lo), v likewise.
        mutating func fold(_ r: UInt64) {
            let half = self.length / 2
            Self.fold(&self.u, half: half, r: r)
            Self.fold(&self.v, half: half, r: r)
            self.length = half
            self.u.removeLast(half * GaloisRing.degree)
            self.v.removeLast(half * GaloisRing.degree)
        }

        private static func fold(_ x: inout [UInt64], half: Int, r: UInt64) {
            let d = GaloisRing.degree
            x.withUnsafeMutableBufferPointer { x in
                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 3 * d - 1) { scratch in
                    let wide = scratch.baseAddress!
                    let delta = wide + (2 * d - 1)
                    for k in 0..<half {
                        let lo = x.baseAddress! + k * d
                        let hi = x.baseAddress! + (k + half) * d
                        for i in 0..<(2 * d - 1) { wide[i] = 0 }
                        for i in 0..<d { delta[i] = hi[i] &- lo[i] }
                        GaloisRing.accumulateExceptionalProduct(r, delta, into: wide)
                        GaloisRing.reduce(wide, into: delta)
                        for i in 0..<d { lo[i] = lo[i] &+ delta[i] }
                    }
                }
            }
        }

        /// The single remaining element of u and of v.
        var last: (u: GaloisRing.Element, v: GaloisRing.Element) {
            precondition(self.length == 1)
            return (GaloisRing.Element(coefficients: self.u), GaloisRing.Element(coefficients: self.v))
        }
    }

    /// A verifier's running share of the claim C.
    struct Claim {
        private(set) var share: GaloisRing.Element

        /// C = w_R − Σ_g θ_g·e_g, on this verifier's shares.
        init(statement: ProductStatement, theta: [UInt64], maskW: GaloisRing.Element) {
            var weighted = [UInt64](repeating: 0, count: GaloisRing.degree)
            for (gate, e) in statement.e.enumerated() {
                var bits = theta[gate]
                while bits != 0 {
                    let t = bits.trailingZeroBitCount
                    weighted[t] = weighted[t] &+ e
                    bits &= bits - 1
                }
            }
            self.share = maskW - GaloisRing.Element(coefficients: weighted)
        }

        /// After a round with the prover's shares (c0, c2) and challenge r: C ← c0 + c1·r + c2·r², c1 = C − 2c0 − c2.
        mutating func advance(c0: GaloisRing.Element, c2: GaloisRing.Element, r: UInt64) {
            let c1 = self.share - c0.scaled(by: 2) - c2
            let point = GaloisRing.Element(exceptional: r)
            self.share = c0 + c1 * point + c2 * point * point
        }
    }
}
