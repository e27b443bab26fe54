import CConsortRing

/// The distributed zero-knowledge proof that one party's messages of a batch were computed honestly (Boyle, Gilboa,
/// Ishai, Nof, CCS 2019 §4, over Z_2^64 via the Galois ring GR(2^64, 48) as in their Asiacrypt 2020 paper): the
/// prover knows a `ProductStatement` in full, each verifier an additive share of it.
///
/// 1. The prover fixes a random pair (u_R, v_R) in the ring and shares it and w_R = u_R·v_R with the verifiers.
/// 2. The verifiers draw the random combination (a seed the prover learns only after step 1): gate g gets weight
///    β_row · θ_group, both exceptional, β of row 0 being 1 (`Rows` places each gate in one of M = 2^m rows and a
///    group). The gates hold only if Σ_g β θ Σ_{t∈g} a_t b_t + u_R v_R = w_R − Σ_g β θ e_g =: C, otherwise except
///    with probability 2 · 2^-48.
/// 3. First round, m variables at once: row j is the point of {0,1}^m with the bits of j, f_k and g_k the multilinear
///    polynomials through the rows' a and b at position k, and p = Σ_k θ_k f_k g_k + e_0² u_R v_R (e_0(x) =
///    Π(1 − x_i)), of degree ≤ 2 in each variable. The prover shares p on the grid {0, 1, ∞}^m but the origin, ∞
///    standing for the coefficient of x_i² — there f_k g_k is the product of base-ring values, so the prover's work
///    is base-ring products added into the bits of θ_k, 3^m per position (`Grid`). The verifiers derive p(0) from
///    Σ_j β_j p(j) = C, draw r ∈ S^m and the claim becomes ⟨u, v⟩ = p(r) for u_k = θ_k f_k(r), v_k = g_k(r) —
///    vectors M times shorter, now in the ring. A wrong p survives with probability ≤ 2m / (2^48 − 2).
/// 4. Later rounds fold v variables each (`rounds`): the halves at offsets L/2, L/4, … of the vectors. The prover
///    shares p = Σ_t ⟨U_t, V_t⟩ on {0,1,∞}^v but the origin (U_t, V_t through block t's 2^v elements); the verifiers
///    derive p(0) from Σ_{x∈{0,1}^v} p(x) = C, draw r ∈ S^v, fold u ← u_lo + r_i·(u_hi − u_lo) per variable, v
///    likewise, and set C ← p(r) (error ≤ 2v / (2^48 − 2)).
/// 5. At length one the verifiers exchange their shares of u, v, C and accept iff u·v = C. The mask pair carries
///    weight e_0(r)·Π(r or 1 − r), a unit, so the opened u and v are uniformly random: nothing else is learned.
///
/// Weights and challenges are exceptional (0/1 coefficients: lifts of GF(2^48)), challenges never 0 or 1, so their
/// differences are units and a nonzero polynomial of total degree D vanishes at a random point of S^m with
/// probability ≤ D / (2^48 − 2) (the Vandermonde argument holds over any commutative ring). Everything here is local
/// arithmetic on one side's data; the engine moves the messages.
enum ProductProof {
    /// The largest first round: M = 64 rows, 729 grid points. Measured here: 6 variables beat 5 (the later rounds in
    /// the ring halve, the grid grows by 3/2 per variable) and 7.
    static let maxVariables = 6

    /// m for a proof whose largest statement has `terms` terms: about a third of log₂ of it, so a small batch does
    /// not pay for 729 grid values (all three parties know the three sizes, so they agree).
    static func variables(terms: Int) -> Int {
        min(Self.maxVariables, max(1, (Int.bitWidth - terms.leadingZeroBitCount + 1) / 3))
    }

    /// The first round's challenge (`Layout.firstChallengeCount` words): one exceptional element per variable, none 0
    /// or 1 (so r_i and 1 − r_i are units), then one more per part after the first (its weight γ in the claim).
    static func firstChallenge(_ prg: inout PRG, count: Int) -> [UInt64] {
        (0..<count).map { _ in Self.challenge(&prg) }
    }

    /// A later round's challenge: exceptional, neither 0 nor 1 (so both fold weights r and 1 − r are units).
    static func challenge(_ prg: inout PRG) -> UInt64 {
        while true {
            let r = prg.words(1)[0] & GaloisRing.exceptionalMask
            if r > 1 { return r }
        }
    }

    /// The random combination: β_j per row (β_0 = 1), θ_h per group, all exceptional, from the verifiers' seed.
    struct Weights {
        var rows: [UInt64]
        var groups: [UInt64]

        /// β ≡ 1 when `spread` (every group is one gate).
        init(seed: [UInt64], rows: Int, groups: Int, spread: Bool = false) {
            precondition(seed.count == 2)
            var prg = PRG(key: PRG.key(words: seed))
            let words = prg.words(rows - 1 + groups).map { $0 & GaloisRing.exceptionalMask }
            self.rows = spread ? [UInt64](repeating: 1, count: rows) : [1] + words[0..<(rows - 1)]
            self.groups = Array(words[(rows - 1)...])
        }
    }

    /// A statement laid out in M rows. Side by side: gate i of a run (L terms each) goes to row i mod M and group
    /// ⌊i / M⌋ of the run; group h's terms sit at the run's positions h·L ..< (h+1)·L (the last group padded with empty
    /// gates), and all terms of a gate share one weight β_row θ_group. Spread (for few gates of many terms, `Layout`):
    /// each gate is a group of its own, term t in row t mod M at the group's position ⌊t / M⌋, e in row 0, weight
    /// θ_group alone (β ≡ 1). Stored position-major, so a position's M rows are adjacent (and a run of one-term gates
    /// side by side is copied as it is).
    struct Rows {
        let grid: Grid
        let spread: Bool
        /// Positions (K).
        private(set) var positions = 0
        /// Position-major K × M.
        private(set) var a: [UInt64] = []
        private(set) var b: [UInt64] = []
        /// For each group, its first position and its number of terms.
        private(set) var groupStarts: [Int] = []
        private(set) var groupTerms: [Int] = []
        /// e of gate (row j, group h) at h · M + j.
        private(set) var e: [UInt64] = []

        var groups: Int { self.groupStarts.count }
        var rowCount: Int { self.grid.rows }

        /// The statement's runs for which `runs` is true (all by default).
        init(_ statement: consuming ProductStatement, variables: Int, runs: [Bool]? = nil, spread: Bool = false) {
            self.grid = Grid.of(variables: variables)
            self.spread = spread
            let m = self.grid.rows
            if !spread, runs?.allSatisfy({ $0 }) ?? true, statement.layout.count == 1, statement.layout[0].terms == 1 {
                // One run of multiplications: gate g is row g mod M of position g / M, which is where the statement
                // holds it, so its vectors are taken as they are (no copy where the caller gave them up) and padded.
                let gates = statement.gates
                self.positions = (gates + m - 1) / m
                self.groupStarts = Array(0..<self.positions)
                self.groupTerms = Array(repeating: 1, count: self.positions)
                var statement = statement
                swap(&self.a, &statement.a)
                swap(&self.b, &statement.b)
                swap(&self.e, &statement.e)
                let padding = repeatElement(UInt64(0), count: self.positions * m - gates)
                self.a.append(contentsOf: padding)
                self.b.append(contentsOf: padding)
                self.e.append(contentsOf: padding)
                return
            }
            var layout: [(start: Int, gates: Int, terms: Int, termStart: Int, gateStart: Int, groupStart: Int)] = []
            var positions = 0
            var termStart = 0
            var gateStart = 0
            for (index, run) in statement.layout.enumerated() {
                guard runs?[index] ?? true else {
                    termStart += run.gates * run.terms
                    gateStart += run.gates
                    continue
                }
                let (groups, width) =
                    spread ? (run.gates, (run.terms + m - 1) / m) : ((run.gates + m - 1) / m, run.terms)
                layout.append((positions, run.gates, run.terms, termStart, gateStart, self.groupStarts.count))
                for h in 0..<groups {
                    self.groupStarts.append(positions + h * width)
                    self.groupTerms.append(width)
                }
                positions += groups * width
                termStart += run.gates * run.terms
                gateStart += run.gates
            }
            self.positions = positions
            var a = [UInt64](repeating: 0, count: m * positions)
            var b = a
            var e = [UInt64](repeating: 0, count: m * self.groupStarts.count)
            if spread {
                for run in layout {
                    let width = (run.terms + m - 1) / m
                    for gate in 0..<run.gates {
                        e[(run.groupStart + gate) * m] = statement.e[run.gateStart + gate]
                        let source = run.termStart + gate * run.terms
                        let target = (run.start + gate * width) * m
                        a.replaceSubrange(
                            target..<(target + run.terms), with: statement.a[source..<(source + run.terms)])
                        b.replaceSubrange(
                            target..<(target + run.terms), with: statement.b[source..<(source + run.terms)])
                    }
                }
                (self.a, self.b, self.e) = (a, b, e)
                return
            }
            for run in layout {
                e.replaceSubrange(
                    (run.groupStart * m)..<(run.groupStart * m + run.gates),
                    with: statement.e[run.gateStart..<(run.gateStart + run.gates)])
                if run.terms == 1 {
                    a.replaceSubrange(
                        (run.start * m)..<(run.start * m + run.gates),
                        with: statement.a[run.termStart..<(run.termStart + run.gates)])
                    b.replaceSubrange(
                        (run.start * m)..<(run.start * m + run.gates),
                        with: statement.b[run.termStart..<(run.termStart + run.gates)])
                    continue
                }
                for gate in 0..<run.gates {
                    let (h, row) = gate.quotientAndRemainder(dividingBy: m)
                    let source = run.termStart + gate * run.terms
                    let target = (run.start + h * run.terms) * m + row
                    for l in 0..<run.terms {
                        a[target + l * m] = statement.a[source + l]
                        b[target + l * m] = statement.b[source + l]
                    }
                }
            }
            self.a = a
            self.b = b
            self.e = e
        }

        /// C's share: w_R − Σ_g β_row θ_group e_g.
        func claim(_ weights: Weights, maskW: GaloisRing.Element) -> GaloisRing.Element {
            let (m, d) = (self.rowCount, GaloisRing.degree)
            // Coefficient t of Σ_h θ_h e_{j,h} for every row j at t·M + j: a group's M values are added at once.
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

        /// The prover's p on the grid but the origin (which the verifiers derive from the claim), in grid order;
        /// `mask` is u_R·v_R for the part that carries the mask pair. p is a sum over the groups (`inHalves`).
        func firstRoundValues(_ weights: Weights, mask: GaloisRing.Element?) async -> [GaloisRing.Element] {
            let s = await ProductProof.inHalves(0..<self.groups, alignment: 4, join: Ring.add) {
                self.firstRoundCoefficients(weights, groups: $0)
            }
            return self.grid.values(coefficients: s, mask: mask)
        }

        /// Coefficient t of p(z) at s[t·size + z], from the groups `range` (which starts at a multiple of four).
        private func firstRoundCoefficients(_ weights: Weights, groups range: Range<Int>) -> [UInt64] {
            let (m, d, size) = (self.rowCount, GaloisRing.degree, self.grid.size)
            // P_h(z) = Σ_{k ∈ h} f_k(z) g_k(z) in the base ring, added into the bits of θ_h: s[t·size + z] is
            // coefficient t of p(z). Four groups at a time ("four Russians"): their 16 subset sums are made once
            // (11 adds), then coefficient t takes the one sum its four bits select — about 59 adds of a grid per four
            // groups instead of 96. Eight such quads are made before s takes them in one pass
            // (`consort_ring_add_selected`), so s is read and written once per eight quads, not once per quad. Eight
            // single-term groups in a row (a run of multiplications) have their grids' products made together, one
            // position per vector lane (`consort_ring_grid_products8`).
            let (block, quads) = (4, 8)
            precondition(d == 48, "consort_ring_add_selected takes 48 coefficients")
            var s = [UInt64](repeating: 0, count: d * size)
            let subsets = UnsafeMutablePointer<UInt64>.allocate(capacity: quads * (1 << block) * size)
            subsets.initialize(repeating: 0, count: quads * (1 << block) * size)
            let masks = UnsafeMutablePointer<UInt8>.allocate(capacity: quads * d)
            let left = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * size)
            let right = left + size
            defer {
                subsets.deallocate()
                masks.deallocate()
                left.deallocate()
            }
            // Subset `mask` of the quad in slot `slot`.
            func sum(_ slot: Int, _ mask: Int) -> UnsafeMutablePointer<UInt64> {
                subsets + (slot * (1 << block) + mask) * size
            }
            s.withUnsafeMutableBufferPointer { s in
                self.a.withUnsafeBufferPointer { a in
                    self.b.withUnsafeBufferPointer { b in
                        self.grid.plan.withUnsafeBufferPointer { plan in
                            var (first, pending) = (range.lowerBound, 0)
                            while first < range.upperBound {
                                let paired =
                                    range.upperBound - first >= 2 * block && pending + 2 <= quads
                                    && self.singleTermRun(from: first, count: 2 * block)
                                if paired {
                                    let outputs: [UnsafeMutablePointer<UInt64>?] = (0..<(2 * block)).map {
                                        sum(pending + $0 / block, 1 << ($0 % block))
                                    }
                                    let position = self.groupStarts[first] * m
                                    consort_ring_grid_products8(
                                        a.baseAddress! + position, b.baseAddress! + position, m, plan.baseAddress!,
                                        size, outputs)
                                } else {
                                    for i in 0..<min(block, range.upperBound - first) {
                                        let h = first + i
                                        let inner = sum(pending, 1 << i)
                                        inner.update(repeating: 0, count: size)
                                        let start = self.groupStarts[h]
                                        for k in start..<(start + self.groupTerms[h]) {
                                            consort_ring_extend_grid(
                                                a.baseAddress! + k * m, plan.baseAddress!, size, left)
                                            consort_ring_extend_grid(
                                                b.baseAddress! + k * m, plan.baseAddress!, size, right)
                                            consort_ring_multiply_add(inner, left, right, size)
                                        }
                                    }
                                }
                                for q in 0..<(paired ? 2 : 1) {
                                    let (slot, start) = (pending + q, first + q * block)
                                    let count = min(block, range.upperBound - start)
                                    for mask in 1..<(1 << count) where mask & (mask - 1) != 0 {
                                        let low = mask & -mask
                                        sum(slot, mask).update(from: sum(slot, mask ^ low), count: size)
                                        consort_ring_add(sum(slot, mask), sum(slot, low), size)
                                    }
                                    for t in 0..<d {
                                        var mask: UInt8 = 0
                                        for i in 0..<count {
                                            mask |= UInt8(truncatingIfNeeded: weights.groups[start + i] >> t & 1) << i
                                        }
                                        masks[slot * d + t] = mask
                                    }
                                }
                                pending += paired ? 2 : 1
                                first += (paired ? 2 : 1) * block
                                if pending + 2 > quads || first >= range.upperBound {
                                    consort_ring_add_selected(s.baseAddress!, subsets, masks, pending, size)
                                    pending = 0
                                }
                            }
                        }
                    }
                }
            }
            return s
        }

        /// Whether groups first ..< first + count are one term each, at consecutive positions.
        private func singleTermRun(from first: Int, count: Int) -> Bool {
            let start = self.groupStarts[first]
            return (0..<count).allSatisfy {
                self.groupTerms[first + $0] == 1 && self.groupStarts[first + $0] == start + $0
            }
        }

        /// u_k = θ_k Σ_j e_j(r) a_{j,k} and v_k = Σ_j e_j(r) b_{j,k} (e_j(r) = `basis`, the multilinear basis of
        /// row j at the first challenge), written from position 0 of u and v.
        func fold(
            _ weights: Weights, basis: [UInt64], u: UnsafeMutablePointer<UInt64>, v: UnsafeMutablePointer<UInt64>
        ) {
            let (m, d) = (self.rowCount, GaloisRing.degree)
            let pairs = ProductProof.foldPairs(basis, rows: m)
            self.a.withUnsafeBufferPointer { a in
                self.b.withUnsafeBufferPointer { b in
                    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: d) { scratch in
                        let combined = scratch.baseAddress!
                        for h in 0..<self.groups {
                            let theta = weights.groups[h]
                            for k in self.groupStarts[h]..<(self.groupStarts[h] + self.groupTerms[h]) {
                                combined.update(repeating: 0, count: d)
                                consort_ring_fold_rows(
                                    basis, pairs, a.baseAddress! + k * m, b.baseAddress! + k * m, m, combined,
                                    v + k * d)
                                consort_ring_multiply_exceptional(combined, theta, u + k * d)
                            }
                        }
                    }
                }
            }
        }
    }

    /// The first round's points: rows are {0,1}^m (row j has the bits of j), the grid is {0, 1, ∞}^m (point z has
    /// base-3 digits z_i, digit 2 standing for ∞: the coefficient of x_i² of a polynomial of degree ≤ 2 in x_i, the
    /// coefficient of x_i of a multilinear one). A polynomial of degree ≤ 2 per variable is Σ_z L_z(x) p(z) with
    /// L_z = Π_i ℓ_{z_i}(x_i), ℓ_0 = 1 − x, ℓ_1 = x, ℓ_∞ = x(x − 1): no division, so no point needs to be a unit apart.
    struct Grid: Sendable {
        let variables: Int
        /// M = 2^m.
        let rows: Int
        /// 3^m.
        let size: Int
        /// Per point, for `consort_ring_extend_grid`: (row, −1) off ∞, else (z − 3^i, z − 2·3^i) for its first ∞
        /// coordinate i — a multilinear polynomial's coefficient of x_i is its value at x_i = 1 minus at x_i = 0.
        let plan: [Int32]

        private static let all = (0...ProductProof.maxVariables).map(Grid.init(variables:))

        static func of(variables: Int) -> Grid {
            precondition((1...ProductProof.maxVariables).contains(variables))
            return Self.all[variables]
        }

        private init(variables: Int) {
            self.variables = variables
            self.rows = 1 << variables
            var size = 1
            for _ in 0..<variables { size *= 3 }
            self.size = size
            var plan: [Int32] = []
            for z in 0..<size {
                var digits = z
                var power = 1
                var row = 0
                var infinity: Int? = nil
                for i in 0..<variables {
                    let digit = digits % 3
                    digits /= 3
                    if digit == 2, infinity == nil { infinity = power }
                    row |= (digit & 1) << i
                    power *= 3
                }
                if let power = infinity {
                    plan += [Int32(z - power), Int32(z - 2 * power)]
                } else {
                    plan += [Int32(row), -1]
                }
            }
            self.plan = plan
        }

        /// The grid index of row j.
        func point(ofRow row: Int) -> Int {
            var (z, power) = (0, 1)
            for i in 0..<self.variables {
                z += (row >> i & 1) * power
                power *= 3
            }
            return z
        }

        /// p on the grid but the origin from its coefficients (coefficient t of p(z) at t·size + z), plus e_0(z)²·`mask`:
        /// e_0(x)² is 1 where every coordinate is 0 or ∞ (the coefficient of x² in (1 − x)²), 0 elsewhere.
        func values(coefficients s: [UInt64], mask: GaloisRing.Element?) -> [GaloisRing.Element] {
            let (d, size) = (GaloisRing.degree, self.size)
            return (1..<size).map { z in
                let value = GaloisRing.Element(coefficients: (0..<d).map { s[$0 * size + z] })
                guard let mask, self.carriesMask(z) else { return value }
                return value + mask
            }
        }

        /// Whether e_0(x)² = Π(1 − x_i)² is 1 at z (every coordinate 0 or ∞), not 0.
        func carriesMask(_ z: Int) -> Bool {
            var digits = z
            for _ in 0..<self.variables {
                if digits % 3 == 1 { return false }
                digits /= 3
            }
            return true
        }

        /// e_j(r) = Π_i (r_i if bit i of j else 1 − r_i) for every row j.
        func rowBasis(at r: [UInt64]) -> [GaloisRing.Element] {
            precondition(r.count == self.variables)
            var basis = [GaloisRing.Element(constant: 1)]
            for ri in r {
                let point = GaloisRing.Element(exceptional: ri)
                let complement = GaloisRing.Element(constant: 1) - point
                basis = basis.map { $0 * complement } + basis.map { $0 * point }
            }
            return basis
        }

        /// p(r) from p on the grid, one variable at a time: q(r) = q(0) + r·(q(1) − q(0) − q(∞) + r·q(∞)).
        func evaluate(_ values: [GaloisRing.Element], at r: [UInt64]) -> GaloisRing.Element {
            precondition(values.count == self.size && r.count == self.variables)
            var values = values
            for ri in r {
                let point = GaloisRing.Element(exceptional: ri)
                values = (0..<(values.count / 3)).map { i in
                    let (q0, q1, qInfinity) = (values[3 * i], values[3 * i + 1], values[3 * i + 2])
                    return q0 + point * (q1 - q0 - qInfinity + point * qInfinity)
                }
            }
            return values[0]
        }
    }

    /// What `consort_ring_fold_rows` precomputes from the rows' basis at the first challenge (M rows of d words).
    static func foldPairs(_ basis: [UInt64], rows m: Int) -> [UInt64] {
        precondition(basis.count == m * GaloisRing.degree)
        var pairs = [UInt64](repeating: 0, count: GaloisRing.degree)
        consort_ring_fold_pairs(basis, m, &pairs)
        return pairs
    }

    /// A prover's first-round sum over `range`, as two halves at once (split at a multiple of `alignment`): `part`
    /// of each half, joined by `join`. A host with a core to spare, or a party whose neighbours are waiting on it,
    /// shortens the prover's turn, the only work on the rounds' path.
    static func inHalves(
        _ range: Range<Int>, alignment: Int, join: ([UInt64], [UInt64]) -> [UInt64],
        _ part: @escaping @Sendable (Range<Int>) -> [UInt64]
    ) async -> [UInt64] {
        let middle = range.lowerBound + range.count / (2 * alignment) * alignment
        async let upper = part(middle..<range.upperBound)
        let lower = part(range.lowerBound..<middle)
        return join(lower, await upper)
    }

    /// The later rounds' length for statements of these sizes (positions, or the AND proof's words) plus the mask,
    /// to a power of two.
    static func tailLength(positions: Int) -> Int {
        var n = 1
        while n < positions + 1 { n <<= 1 }
        return n
    }

    /// The variables of each round after the first for vectors of `length` (a power of two): one while the vectors
    /// are longer than `binaryAbove`, then up to `variables` at once. A round of v variables sends 3^v − 1 values
    /// instead of 2 and costs the prover about (3/2)^v / v times the products of v binary rounds, but it saves v − 1
    /// rounds of two exchanges each: worth it once the vectors are short.
    static func roundVariables(length: Int, binaryAbove: Int, variables: Int) -> [Int] {
        precondition(length > 0 && length.nonzeroBitCount == 1 && variables >= 1)
        var (remaining, current, schedule) = (length.trailingZeroBitCount, length, [Int]())
        while remaining > 0 {
            let v = current > binaryAbove ? 1 : min(variables, remaining)
            schedule.append(v)
            remaining -= v
            current >>= v
        }
        return schedule
    }

    /// The rounds of a product proof's vectors of `length` elements: one variable down to 2^12 elements (a round's
    /// ring products then cost about what its exchanges do here), then three at a time (26 elements per round).
    static func rounds(length: Int) -> [Int] {
        Self.roundVariables(length: length, binaryAbove: 1 << 12, variables: 3)
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

        /// p on the round's grid {0, 1, ∞}^v but the origin, in grid order, on this side's vectors (the prover's are
        /// the real ones): p(z) = Σ_t ⟨U_t(z), V_t(z)⟩, where variable i picks the half at offset length / 2^(i+1)
        /// (`ProductProof.roundVariables`) and ∞ stands for a variable's coefficient, as in the first round.
        func roundValues(variables: Int) -> [GaloisRing.Element] {
            let (d, grid) = (GaloisRing.degree, Grid.of(variables: variables))
            let (size, block) = (grid.size, self.length >> variables)
            precondition(block >= 1)
            let offsets = (0..<grid.rows).map { row in
                (0..<variables).reduce(0) { $0 + (row >> $1 & 1) * (self.length >> ($1 + 1)) } * d
            }
            // The sums' unreduced products per point, then where each point's coefficients of U_t and V_t are made
            // (those off {0,1}^v: differences); `points` says where they are for this t.
            let wideCount = (size - 1) * (2 * d - 1)
            var buffer = [UInt64](repeating: 0, count: wideCount + 2 * size * d)
            var points = [UnsafePointer<UInt64>?](repeating: nil, count: 2 * size)
            self.u.withUnsafeBufferPointer { u in
                self.v.withUnsafeBufferPointer { v in
                    buffer.withUnsafeMutableBufferPointer { buffer in
                        let (wide, scratch) = (buffer.baseAddress!, buffer.baseAddress! + wideCount)
                        for t in 0..<block {
                            for z in 0..<size {
                                let (first, second) = (Int(grid.plan[2 * z]), Int(grid.plan[2 * z + 1]))
                                for side in 0..<2 {
                                    let at = side * size + z
                                    guard second >= 0 else {
                                        points[at] = (side == 0 ? u : v).baseAddress! + t * d + offsets[first]
                                        continue
                                    }
                                    let (high, low, out) = (
                                        points[side * size + first]!, points[side * size + second]!, scratch + at * d
                                    )
                                    for i in 0..<d { out[i] = high[i] &- low[i] }
                                    points[at] = UnsafePointer(out)
                                }
                            }
                            for z in 1..<size {
                                GaloisRing.accumulateProduct(
                                    points[z]!, points[size + z]!, into: wide + (z - 1) * (2 * d - 1))
                            }
                        }
                    }
                }
            }
            return buffer.withUnsafeMutableBufferPointer { buffer in
                (1..<size).map { z in
                    var out = [UInt64](repeating: 0, count: d)
                    out.withUnsafeMutableBufferPointer {
                        GaloisRing.reduce(buffer.baseAddress! + (z - 1) * (2 * d - 1), into: $0.baseAddress!)
                    }
                    return GaloisRing.Element(coefficients: out)
                }
            }
        }

        /// Folds the round's variables in order: x ← x_lo + r_i·(x_hi − x_lo) on the halves, for u and v.
        mutating func fold(_ r: [UInt64]) {
            for ri in r {
                let half = self.length / 2
                Self.fold(&self.u, half: half, r: ri)
                Self.fold(&self.v, half: half, r: ri)
                self.length = half
                self.u.removeLast(half * GaloisRing.degree)
                self.v.removeLast(half * GaloisRing.degree)
            }
        }

        private static func fold(_ x: inout [UInt64], half: Int, r: UInt64) {
            x.withUnsafeMutableBufferPointer { consort_ring_fold_exceptional($0.baseAddress!, half, r) }
        }

        /// The single remaining element of u and of v.
        var last: (u: GaloisRing.Element, v: GaloisRing.Element) {
            precondition(self.length == 1)
            return (GaloisRing.Element(coefficients: self.u), GaloisRing.Element(coefficients: self.v))
        }
    }

    /// A verifier's running share of the claim C (before the first round, one per part of the layout).
    struct Claim {
        private(set) var share: GaloisRing.Element
        private var parts: [GaloisRing.Element]

        init(parts: [GaloisRing.Element]) {
            self.parts = parts
            self.share = parts.reduce(.zero, +)
        }

        /// After the first round with the prover's shares of each part's p on the grid but the origin, and the
        /// challenge (r, then γ per part after the first): each part's p(0) is what makes Σ_j β_j p(j) = C_part
        /// (β_0 = 1), and C ← Σ_parts γ_part p_part(r) (γ_0 = 1). The γ keep a prover from moving a wrong first part's
        /// error into the second.
        mutating func advanceFirst(values: [GaloisRing.Element], weights: [Weights], grid: Grid, challenge: [UInt64]) {
            let count = grid.size - 1
            precondition(values.count == self.parts.count * count && weights.count == self.parts.count)
            precondition(challenge.count == grid.variables + self.parts.count - 1)
            let r = Array(challenge[0..<grid.variables])
            let gammas = [1] + challenge[grid.variables...]
            self.share = zip(self.parts, weights).enumerated().reduce(GaloisRing.Element.zero) { total, part in
                let (index, (claim, weights)) = part
                let own = Array(values[(index * count)..<((index + 1) * count)])
                let origin = (1..<grid.rows).reduce(claim) {
                    $0 - GaloisRing.Element(exceptional: weights.rows[$1]) * own[grid.point(ofRow: $1) - 1]
                }
                return total + GaloisRing.Element(exceptional: gammas[index]) * grid.evaluate([origin] + own, at: r)
            }
            self.parts = []
        }

        /// After a round of `r.count` variables with the prover's shares of p on its grid but the origin: p(0) is
        /// what makes Σ_{x ∈ {0,1}^v} p(x) = C, and C ← p(r).
        mutating func advance(values: [GaloisRing.Element], r: [UInt64]) {
            let grid = Grid.of(variables: r.count)
            precondition(values.count == grid.size - 1)
            let origin = (1..<grid.rows).reduce(self.share) { $0 - values[grid.point(ofRow: $1) - 1] }
            self.share = grid.evaluate([origin] + values, at: r)
        }
    }
}
