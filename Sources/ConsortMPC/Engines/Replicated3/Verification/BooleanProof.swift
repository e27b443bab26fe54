import CConsortField

/// The distributed zero-knowledge proof of a batch of AND gates (`Specs/engines.md` §3; BGIN19 §4 over the field
/// GF(2^64), `BinaryField`): `ProductProof`'s protocol with a word of 64 gates per position.
///
/// Claim: Σ_w ρ_w Σ_j σ_j a_{w,j} b_{w,j} = Σ_w ρ_w Σ_j σ_j e_{w,j} + w_R for gate j of word w, weights σ_j (σ_0 = 1)
/// per row and ρ_w per word, and the prover's mask w_R = u_R·v_R. Rows are the points of {0,1}^6 (row j has the bits
/// of j); with A_w, B_w the multilinear extensions of a word's bits, p = Σ_w ρ_w A_w B_w + e_0² u_R v_R has degree ≤ 2
/// in each variable and Σ_j σ_j p(j) is the claim's left side. The prover shares p on the grid {0,1,∞}^6 but the
/// origin (`ProductProof.Grid`; ∞ the coefficient of x_i²): there A_w and B_w are bits, so p(z) is a sum of ρ_w over
/// the words whose grid bits meet (`consort_gf64_grid_first_round`). The verifiers derive p(0) from the claim, pick
/// r and go on with u_w = ρ_w A_w(r), v_w = B_w(r) — byte tables, A_w(r) being GF(2)-linear in the word's bits.
enum BooleanProof {
    /// Six variables: the 64 gates of a word.
    static let grid = ProductProof.Grid.of(variables: 6)
    /// Challenges have the top bit set: never 0 or 1.
    static let challengeBit: UInt64 = 1 << 63

    static func challenge(_ prg: inout PRG) -> UInt64 { prg.words(1)[0] | Self.challengeBit }

    /// The first round's challenge: one per variable.
    static func firstChallenge(_ prg: inout PRG) -> [UInt64] {
        (0..<Self.grid.variables).map { _ in Self.challenge(&prg) }
    }

    /// The rounds after the first for vectors of `length` words: one variable down to 2^16 words, then four at a time
    /// (80 words per round): carry-less products are cheap beside an exchange.
    static func rounds(length: Int) -> [Int] {
        ProductProof.roundVariables(length: length, binaryAbove: 1 << 16, variables: 4)
    }

    /// σ (one per row, σ_0 = 1) and one ρ per word, from a seed the two verifiers share.
    struct Weights {
        var sigma: [UInt64]
        var rho: [UInt64]
        /// σ's 8 byte tables (`BinaryField.byteTables`).
        let sigmaTables: [UInt64]

        init(seed: [UInt64], words: Int) {
            var prg = PRG(key: PRG.key(words: seed))
            self.sigma = [1] + prg.words(63)
            self.rho = prg.words(words)
            self.sigmaTables = BinaryField.byteTables(self.sigma)
        }
    }

    /// One side's share of the claim: Σ_j σ_j Σ_w ρ_w e_{w,j} + its share of w_R, over the products' words and then
    /// the linear relations'.
    /// Σ_j σ_j e_{w,j} is GF(2)-linear in the word's bits: byte tables of σ, then one product with ρ_w per word.
    static func claim(_ statement: BooleanStatement, _ weights: Weights, maskW: UInt64) -> UInt64 {
        precondition(weights.rho.count == statement.words && statement.keepsE)
        return weights.rho.withUnsafeBufferPointer { rho in
            maskW ^ consort_gf64_weighted_sum(statement.e, rho.baseAddress, statement.productWords, weights.sigmaTables)
                ^ consort_gf64_weighted_sum(
                    statement.linear, rho.baseAddress! + statement.productWords, statement.linearWords,
                    weights.sigmaTables)
        }
    }

    /// The prover's p on the grid but the origin, in grid order. p is a sum over the words (`ProductProof.inHalves`;
    /// the kernel takes 32 words at a time).
    static func firstRoundValues(_ statement: BooleanStatement, _ weights: Weights, maskU: UInt64, maskV: UInt64)
        async -> [UInt64]
    {
        let p = await ProductProof.inHalves(0..<statement.productWords, alignment: 32, join: Ring.xor) {
            Self.gridValues(statement, weights, words: $0)
        }
        // e_0(x)² is 1 where every coordinate is 0 or ∞, 0 elsewhere.
        let mask = BinaryField.multiply(maskU, maskV)
        return (1..<Self.grid.size).map { Self.grid.carriesMask($0) ? p[$0] ^ mask : p[$0] }
    }

    /// p on the whole grid from the words `range` alone.
    private static func gridValues(_ statement: BooleanStatement, _ weights: Weights, words range: Range<Int>)
        -> [UInt64]
    {
        var p = [UInt64](repeating: 0, count: Self.grid.size)
        guard !range.isEmpty else { return p }
        statement.a.withUnsafeBufferPointer { a in
            statement.b.withUnsafeBufferPointer { b in
                weights.rho.withUnsafeBufferPointer { rho in
                    consort_gf64_grid_first_round(
                        a.baseAddress! + range.lowerBound, b.baseAddress! + range.lowerBound,
                        rho.baseAddress! + range.lowerBound, range.count, &p)
                }
            }
        }
        return p
    }

    /// e_j(r) = Π_i (r_i if bit i of j else 1 + r_i) for the 64 rows.
    static func rowBasis(at r: [UInt64]) -> [UInt64] {
        r.reduce([UInt64(1)]) { basis, ri in
            basis.map { BinaryField.multiply($0, ri ^ 1) } + basis.map { BinaryField.multiply($0, ri) }
        }
    }

    /// p(r) from p on the grid {0,1,∞}^r.count, one variable at a time: q(r) = q(0) + r·(q(1) + q(0) + q(∞) + r·q(∞)).
    static func evaluate(_ values: [UInt64], at r: [UInt64]) -> UInt64 {
        precondition(values.count == ProductProof.Grid.of(variables: r.count).size)
        var values = values
        for ri in r {
            values = (0..<(values.count / 3)).map { i in
                let (q0, q1, qInfinity) = (values[3 * i], values[3 * i + 1], values[3 * i + 2])
                return q0 ^ BinaryField.multiply(ri, q1 ^ q0 ^ qInfinity ^ BinaryField.multiply(ri, qInfinity))
            }
        }
        return values[0]
    }

    /// The vectors after the first round at r, padded with zeros to `length`, the mask e_0(r)·(u_R, v_R) after the
    /// words.
    static func folded(
        _ statement: BooleanStatement, _ weights: Weights, r: [UInt64], maskU: UInt64, maskV: UInt64, length: Int
    ) -> Vectors {
        let words = statement.productWords
        precondition(length > words && length.nonzeroBitCount == 1)
        let basis = Self.rowBasis(at: r)
        let tables = BinaryField.byteTables(basis)
        var u = [UInt64](repeating: 0, count: length)
        var v = [UInt64](repeating: 0, count: length)
        u.withUnsafeMutableBufferPointer { u in
            v.withUnsafeMutableBufferPointer { v in
                consort_gf64_grid_fold_first(
                    statement.a, statement.b, weights.rho, words, tables, u.baseAddress, v.baseAddress)
            }
        }
        u[words] = BinaryField.multiply(basis[0], maskU)
        v[words] = BinaryField.multiply(basis[0], maskV)
        return Vectors(u: u, v: v)
    }

    /// One side's u and v, folded round by round.
    struct Vectors {
        private(set) var u: [UInt64]
        private(set) var v: [UInt64]

        var length: Int { self.u.count }

        /// p on the round's grid {0,1,∞}^v but the origin (`ProductProof.Vectors.roundValues`, here in GF(2^64)).
        func roundValues(variables: Int) -> [UInt64] {
            precondition(
                (1...4).contains(variables) && self.length >> variables >= 1, "the kernel takes 1...4 variables")
            var values = [UInt64](repeating: 0, count: ProductProof.Grid.of(variables: variables).size - 1)
            consort_gf64_round_grid(self.u, self.v, self.length, Int32(variables), &values)
            return values
        }

        /// Folds the round's variables in order: x ← x_lo + r_i·(x_hi + x_lo), for u and v.
        mutating func fold(_ r: [UInt64]) {
            for ri in r {
                let half = self.length / 2
                self.u.withUnsafeMutableBufferPointer { consort_gf64_fold($0.baseAddress, half, ri) }
                self.v.withUnsafeMutableBufferPointer { consort_gf64_fold($0.baseAddress, half, ri) }
                self.u.removeLast(half)
                self.v.removeLast(half)
            }
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

        /// After the first round with the prover's shares of p on the grid but the origin and challenge r: p(0) is
        /// what makes Σ_j σ_j p(j) the claim (σ_0 = 1), and C ← p(r).
        mutating func advanceFirst(values: [UInt64], weights: Weights, r: [UInt64]) {
            let grid = BooleanProof.grid
            precondition(values.count == grid.size - 1)
            let origin = (1..<grid.rows).reduce(self.share) {
                $0 ^ BinaryField.multiply(weights.sigma[$1], values[grid.point(ofRow: $1) - 1])
            }
            self.share = BooleanProof.evaluate([origin] + values, at: r)
        }

        /// After a round of `r.count` variables with the prover's shares of p on its grid but the origin: p(0) is
        /// what makes Σ_{x ∈ {0,1}^v} p(x) = C, and C ← p(r).
        mutating func advance(values: [UInt64], r: [UInt64]) {
            let grid = ProductProof.Grid.of(variables: r.count)
            precondition(values.count == grid.size - 1)
            let origin = (1..<grid.rows).reduce(self.share) { $0 ^ values[grid.point(ofRow: $1) - 1] }
            self.share = BooleanProof.evaluate([origin] + values, at: r)
        }
    }
}
