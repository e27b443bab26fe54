import CConsortRing

/// The distributed zero-knowledge proof that one party's messages of a batch were computed honestly (Boyle, Gilboa,
/// Ishai, Nof, CCS 2019 §4, over Z_2^64 via the Galois ring GR(2^64, 48) as in their Asiacrypt 2020 paper): the
/// prover knows a `ProductStatement` in full, each verifier an additive share of it.
///
/// 1. The prover fixes a random pair (u_R, v_R) in the ring and shares it and w_R = u_R·v_R with the verifiers.
/// 2. The verifiers draw the random combination (a seed the prover learns only after step 1): gate g gets weight
///    θ_g = θ'_row · θ''_group, both exceptional (`Rows` places each gate in one of M = 32 rows and a group). The
///    gates hold only if Σ_g θ_g Σ_{t∈g} a_t b_t + u_R v_R = w_R − Σ_g θ_g e_g =: C, otherwise except with
///    probability 2 · 2^-48.
/// 3. First round, fan-in M: with f_k, g_k the polynomials of degree M − 1 through row j's (θ'_j a, b) at position
///    k (at the points ω_j), p = Σ_k θ''_k f_k g_k + λ_0² u_R v_R has Σ_j p(ω_j) = C. The prover shares p(ω_1), …,
///    p(ω_{2M−2}); the verifiers set p(ω_0) from C, draw r ∉ {ω_i}, and the claim becomes ⟨u, v⟩ = p(r) for
///    u_k = θ''_k f_k(r), v_k = g_k(r) — vectors M times shorter, now in the ring. A wrong p survives with
///    probability ≤ (2M − 2) / (2^48 − 2M + 1).
/// 4. Binary rounds halve the vectors: the prover shares c0 = ⟨u_lo, v_lo⟩ and c2 = ⟨u_hi − u_lo, v_hi − v_lo⟩;
///    the verifiers set c1 = C − 2·c0 − c2 (so p(0) + p(1) = C holds by construction), draw an exceptional
///    r ∉ {0, 1}, fold u ← u_lo + r·(u_hi − u_lo), v likewise, and C ← c0 + c1·r + c2·r² (error ≤ 2 / (2^48 − 2)).
/// 5. At length one the verifiers exchange their shares of u, v, C and accept iff u·v = C. The mask pair carries
///    weight λ_0(r)·Π(r or 1 − r), a unit, so the opened u and v are uniformly random: nothing else is learned.
///
/// Points and challenges are exceptional (0/1 coefficients: lifts of GF(2^48)), so their differences are units and
/// a nonzero polynomial of degree D vanishes at a random one with probability ≤ D / 2^48. Everything here is local
/// arithmetic on one side's data; the engine moves the messages.
enum ProductProof {
    /// M: rows folded into one by the first round.
    static let fanIn = 32
    /// ω_i: the exceptional element with mask i, for i < 2M − 1.
    static let points: [GaloisRing.Element] = (0..<(2 * fanIn - 1)).map { GaloisRing.Element(exceptional: UInt64($0)) }
    /// 1 / Π_{m≠i} (ω_i − ω_m) over the first M and the first 2M − 1 points.
    static let rowDenominators = Self.denominators(count: fanIn)
    static let evaluationDenominators = Self.denominators(count: 2 * fanIn - 1)
    /// λ_j(ω_k): the row basis at every evaluation point.
    static let rowBasisAtPoints: [[GaloisRing.Element]] = Self.points.map { Self.lagrange(at: $0, count: fanIn) }

    private static func denominators(count: Int) -> [GaloisRing.Element] {
        (0..<count).map { i in
            (0..<count).filter { $0 != i }.reduce(GaloisRing.Element(constant: 1)) {
                $0 * (Self.points[i] - Self.points[$1])
            }
            .inverse()
        }
    }

    /// The Lagrange basis λ_i(x) of the first `count` points (M or 2M − 1).
    static func lagrange(at x: GaloisRing.Element, count: Int) -> [GaloisRing.Element] {
        let denominators = count == Self.fanIn ? Self.rowDenominators : Self.evaluationDenominators
        precondition(denominators.count == count)
        let differences = (0..<count).map { x - Self.points[$0] }
        var prefix = [GaloisRing.Element(constant: 1)]
        for difference in differences { prefix.append(prefix[prefix.count - 1] * difference) }
        var suffix = [GaloisRing.Element](repeating: GaloisRing.Element(constant: 1), count: count + 1)
        for i in stride(from: count - 1, through: 0, by: -1) { suffix[i] = suffix[i + 1] * differences[i] }
        return (0..<count).map { prefix[$0] * suffix[$0 + 1] * denominators[$0] }
    }

    /// The first round's challenge: exceptional and none of the points.
    static func firstChallenge(_ prg: inout PRG) -> UInt64 {
        while true {
            let r = prg.words(1)[0] & GaloisRing.exceptionalMask
            if r >= UInt64(Self.points.count) { return r }
        }
    }

    /// A binary round's challenge: exceptional, neither 0 nor 1 (so both fold weights r and 1 − r are units).
    static func challenge(_ prg: inout PRG) -> UInt64 {
        while true {
            let r = prg.words(1)[0] & GaloisRing.exceptionalMask
            if r > 1 { return r }
        }
    }

    /// The random combination: θ'_j per row, θ''_h per group, both exceptional, from the verifiers' seed.
    struct Weights {
        var rows: [UInt64]
        var groups: [UInt64]

        init(seed: [UInt64], groups: Int) {
            precondition(seed.count == 2)
            var prg = PRG(key: PRG.key(words: seed))
            let words = prg.words(ProductProof.fanIn + groups).map { $0 & GaloisRing.exceptionalMask }
            self.rows = Array(words[0..<ProductProof.fanIn])
            self.groups = Array(words[ProductProof.fanIn...])
        }
    }

    /// A statement laid out in M rows: the G gates of a run (L terms each) fill the rows in order, H = ⌈G/M⌉ per
    /// row (the last rows padded with empty gates); gate h of row j is group h of the run, and its terms sit at the
    /// run's positions h·L ..< (h+1)·L in its row. All terms of a gate share one weight θ'_j θ''_h.
    struct Rows {
        /// Positions per row (K).
        private(set) var positions = 0
        /// Row-major M × K.
        private(set) var a: [UInt64] = []
        private(set) var b: [UInt64] = []
        /// For each group, its first position and its number of terms.
        private(set) var groupStarts: [Int] = []
        private(set) var groupTerms: [Int] = []
        /// e of gate (row j, group h) at h · M + j.
        private(set) var e: [UInt64] = []

        var groups: Int { self.groupStarts.count }

        init(_ statement: ProductStatement) {
            let m = ProductProof.fanIn
            var layout: [(start: Int, gates: Int, terms: Int, termStart: Int, gateStart: Int)] = []
            var positions = 0
            var termStart = 0
            var gateStart = 0
            for run in statement.layout {
                let perRow = (run.gates + m - 1) / m
                layout.append((positions, run.gates, run.terms, termStart, gateStart))
                for h in 0..<perRow {
                    self.groupStarts.append(positions + h * run.terms)
                    self.groupTerms.append(run.terms)
                }
                positions += perRow * run.terms
                termStart += run.gates * run.terms
                gateStart += run.gates
            }
            self.positions = positions
            let groups = self.groupStarts.count
            var a = [UInt64](repeating: 0, count: m * positions)
            var b = a
            var e = [UInt64](repeating: 0, count: m * groups)
            var groupBase = 0
            for run in layout {
                let perRow = (run.gates + m - 1) / m
                for gate in 0..<run.gates {
                    let (row, h) = gate.quotientAndRemainder(dividingBy: perRow)
                    e[(groupBase + h) * m + row] = statement.e[run.gateStart + gate]
                    let source = run.termStart + gate * run.terms
                    let target = row * positions + run.start + h * run.terms
                    for l in 0..<run.terms {
                        a[target + l] = statement.a[source + l]
                        b[target + l] = statement.b[source + l]
                    }
                }
                groupBase += perRow
            }
            self.a = a
            self.b = b
            self.e = e
        }

        /// C's share: w_R − Σ_g θ_g e_g.
        func claim(_ weights: Weights, maskW: GaloisRing.Element) -> GaloisRing.Element {
            let (m, d) = (ProductProof.fanIn, GaloisRing.degree)
            // Coefficient t of Σ_h θ''_h e_{j,h} for every row j at t·M + j: a group's M values are added at once.
            var weighted = [UInt64](repeating: 0, count: d * m)
            weighted.withUnsafeMutableBufferPointer { weighted in
                self.e.withUnsafeBufferPointer { e in
                    for h in 0..<self.groups {
                        let column = e.baseAddress! + h * m
                        var bits = weights.groups[h]
                        while bits != 0 {
                            consort_ring_add(weighted.baseAddress! + bits.trailingZeroBitCount * m, column, m)
                            bits &= bits - 1
                        }
                    }
                }
            }
            var total = GaloisRing.Element.zero
            for row in 0..<m {
                total =
                    total + GaloisRing.Element(exceptional: weights.rows[row])
                    * GaloisRing.Element(coefficients: (0..<d).map { weighted[$0 * m + row] })
            }
            return maskW - total
        }

        /// The prover's p(ω_k) for k = 1 ..< 2M − 1 (p(ω_0) the verifiers derive from the claim).
        func firstRoundValues(_ weights: Weights, maskU: GaloisRing.Element, maskV: GaloisRing.Element)
            -> [GaloisRing.Element]
        {
            let m = ProductProof.fanIn
            let d = GaloisRing.degree
            // S[j][j'] = Σ_h θ''_h Σ_{k ∈ h} a_{j,k} b_{j',k}: base-ring products, added into the bits of θ''_h,
            // coefficient t of every S[j][j'] stored t-major so an add is one long loop. Four groups at a time
            // ("four Russians"): their 16 subset sums are made once (11 adds), then coefficient t takes the one sum
            // its four bits select — about 56 adds of an M × M block per four groups instead of 96.
            let block = 4
            var s = [UInt64](repeating: 0, count: m * m * d)
            var subsets = [UInt64](repeating: 0, count: (1 << block) * m * m)
            s.withUnsafeMutableBufferPointer { s in
                subsets.withUnsafeMutableBufferPointer { subsets in
                    self.a.withUnsafeBufferPointer { a in
                        self.b.withUnsafeBufferPointer { b in
                            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: m) { column in
                                let column = column.baseAddress!
                                let base = subsets.baseAddress!
                                let sum = { (mask: Int) in base + mask * m * m }
                                for first in stride(from: 0, to: self.groups, by: block) {
                                    let count = min(block, self.groups - first)
                                    for i in 0..<count {
                                        let h = first + i
                                        let inner = sum(1 << i)
                                        inner.update(repeating: 0, count: m * m)
                                        for k in self.groupStarts[h]..<(self.groupStarts[h] + self.groupTerms[h]) {
                                            for jj in 0..<m { column[jj] = b[jj * self.positions + k] }
                                            for j in 0..<m {
                                                consort_ring_axpy(inner + j * m, column, a[j * self.positions + k], m)
                                            }
                                        }
                                    }
                                    for mask in 1..<(1 << count) where mask & (mask - 1) != 0 {
                                        let low = mask & -mask
                                        sum(mask).update(from: sum(mask ^ low), count: m * m)
                                        consort_ring_add(sum(mask), sum(low), m * m)
                                    }
                                    for t in 0..<d {
                                        var mask = 0
                                        for i in 0..<count { mask |= Int(weights.groups[first + i] >> t & 1) << i }
                                        if mask != 0 { consort_ring_add(s.baseAddress! + t * m * m, sum(mask), m * m) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let sums: [[GaloisRing.Element]] = (0..<m).map { j in
                (0..<m).map { jj in
                    GaloisRing.Element(coefficients: (0..<d).map { s[$0 * m * m + j * m + jj] })
                        * GaloisRing.Element(exceptional: weights.rows[j])
                }
            }
            let mask = maskU * maskV
            return (1..<(2 * m - 1)).map { k in
                if k < m { return sums[k][k] }
                let basis = ProductProof.rowBasisAtPoints[k]
                var value = basis[0] * basis[0] * mask
                for j in 0..<m {
                    var row = GaloisRing.Element.zero
                    for jj in 0..<m { row = row + basis[jj] * sums[j][jj] }
                    value = value + basis[j] * row
                }
                return value
            }
        }

        /// The vectors after the first round at r, padded to `length`: u_k = θ''_k Σ_j λ_j(r) θ'_j a_{j,k},
        /// v_k = Σ_j λ_j(r) b_{j,k}, and the mask pair λ_0(r)·(u_R, v_R) last.
        func folded(
            _ weights: Weights, r: UInt64, maskU: GaloisRing.Element, maskV: GaloisRing.Element, length: Int
        ) -> Vectors {
            let m = ProductProof.fanIn
            let d = GaloisRing.degree
            precondition(length > self.positions && length.nonzeroBitCount == 1)
            let lambda = ProductProof.lagrange(at: GaloisRing.Element(exceptional: r), count: m)
            let mu = (0..<m).map { lambda[$0] * GaloisRing.Element(exceptional: weights.rows[$0]) }
            var u = [UInt64](repeating: 0, count: length * d)
            var v = [UInt64](repeating: 0, count: length * d)
            let muWords = mu.flatMap(\.coefficients)
            let lambdaWords = lambda.flatMap(\.coefficients)
            let positions = self.positions
            u.withUnsafeMutableBufferPointer { u in
                v.withUnsafeMutableBufferPointer { v in
                    self.a.withUnsafeBufferPointer { a in
                        self.b.withUnsafeBufferPointer { b in
                            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 3 * d - 1) { scratch in
                                let wide = scratch.baseAddress!
                                let combined = wide + (2 * d - 1)
                                for h in 0..<self.groups {
                                    let theta = weights.groups[h]
                                    for k in self.groupStarts[h]..<(self.groupStarts[h] + self.groupTerms[h]) {
                                        for i in 0..<d { combined[i] = 0 }
                                        consort_ring_combine_columns(
                                            muWords, lambdaWords, a.baseAddress! + k, b.baseAddress! + k, positions, m,
                                            d, combined, v.baseAddress! + k * d)
                                        for i in 0..<(2 * d - 1) { wide[i] = 0 }
                                        GaloisRing.accumulateExceptionalProduct(theta, combined, into: wide)
                                        GaloisRing.reduce(wide, into: u.baseAddress! + k * d)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            let maskIndex = self.positions * d
            u.replaceSubrange(maskIndex..<(maskIndex + d), with: (lambda[0] * maskU).coefficients)
            v.replaceSubrange(maskIndex..<(maskIndex + d), with: (lambda[0] * maskV).coefficients)
            return Vectors(u: u, v: v, length: length)
        }
    }

    /// The binary rounds' length for statements of these sizes: positions plus the mask, to a power of two.
    static func tailLength(positions: Int) -> Int {
        var n = 1
        while n < positions + 1 { n <<= 1 }
        return n
    }

    /// One side's u and v (the prover's in full, a verifier's shares), folded in place round by round.
    struct Vectors {
        private(set) var u: [UInt64]
        private(set) var v: [UInt64]
        private(set) var length: Int

        init(u: [UInt64], v: [UInt64], length: Int) {
            precondition(u.count == length * GaloisRing.degree && v.count == u.count)
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

        init(_ share: GaloisRing.Element) { self.share = share }

        /// After the first round with the prover's shares of p(ω_1 ..< ω_{2M−1}) and challenge r: p(ω_0) is what
        /// makes Σ_{j<M} p(ω_j) = C, and C ← p(r).
        mutating func advanceFirst(values: [GaloisRing.Element], r: UInt64) {
            let m = ProductProof.fanIn
            precondition(values.count == 2 * m - 2)
            let first = values[0..<(m - 1)].reduce(self.share) { $0 - $1 }
            let basis = ProductProof.lagrange(at: GaloisRing.Element(exceptional: r), count: 2 * m - 1)
            self.share = zip(basis, [first] + values).reduce(GaloisRing.Element.zero) { $0 + $1.0 * $1.1 }
        }

        /// After a binary round with the prover's shares (c0, c2) and challenge r: C ← c0 + c1·r + c2·r²,
        /// c1 = C − 2c0 − c2.
        mutating func advance(c0: GaloisRing.Element, c2: GaloisRing.Element, r: UInt64) {
            let c1 = self.share - c0.scaled(by: 2) - c2
            let point = GaloisRing.Element(exceptional: r)
            self.share = c0 + c1 * point + c2 * point * point
        }
    }
}
