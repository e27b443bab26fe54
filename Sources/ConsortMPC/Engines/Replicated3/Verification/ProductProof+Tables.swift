import CConsortRing

extension ProductProof {
    /// A statement's tables of inner products (`ProductStatement.Table`) as one part of the proof. Gate (i, j) of a
    /// table takes the weight α_i·β_j (both exceptional; the error polynomial αᵀEβ of a wrong table has degree 2, as
    /// β_row·θ_group has elsewhere), and each vector is spread over the M rows (term l in row l mod M at position
    /// ⌊l / M⌋), so the first round is the spread gates' one. After it the pairs combine exactly:
    /// Σ_ij α_i β_j ⟨f_i(r), g_j(r)⟩ = ⟨Σ_i α_i f_i(r), Σ_j β_j g_j(r)⟩, so a table leaves one pair of vectors ⌈L/M⌉
    /// long for the later rounds, not R·C of them, and its first round folds R + C vectors, not 2·R·C.
    struct Tables {
        let grid: Grid
        /// The tables, each vector padded with zeros to a multiple of M.
        private let tables: [ProductStatement.Table]
        /// Per table, its positions ⌈L/M⌉.
        private let widths: [Int]

        init(_ tables: consuming [ProductStatement.Table], variables: Int) {
            self.grid = Grid.of(variables: variables)
            let m = self.grid.rows
            var padded: [ProductStatement.Table] = []
            var widths: [Int] = []
            for var table in tables {
                let (n, width) = (table.length, (table.length + m - 1) / m)
                widths.append(width)
                if width * m != n {
                    table = ProductStatement.Table(
                        rows: Self.pad(table.rows, from: n, to: width * m),
                        columns: Self.pad(table.columns, from: n, to: width * m), e: table.e, length: width * m)
                }
                padded.append(table)
            }
            self.tables = padded
            self.widths = widths
        }

        private static func pad(_ vectors: [UInt64], from length: Int, to padded: Int) -> [UInt64] {
            var result = [UInt64](repeating: 0, count: vectors.count / length * padded)
            for v in 0..<(vectors.count / length) {
                result.replaceSubrange(
                    (v * padded)..<(v * padded + length), with: vectors[(v * length)..<((v + 1) * length)])
            }
            return result
        }

        var rowCount: Int { self.grid.rows }
        /// One pair of vectors per table after the first round.
        var positions: Int { self.widths.reduce(0, +) }
        /// The weights: α of each table's rows, then β of its columns, table after table.
        var weightCount: Int { self.tables.reduce(0) { $0 + $1.rowCount + $1.columnCount } }

        /// Each table's (α, β) from the weights' groups.
        private func factors(_ weights: Weights) -> [(alpha: ArraySlice<UInt64>, beta: ArraySlice<UInt64>)] {
            var offset = 0
            return self.tables.map { table in
                let alpha = weights.groups[offset..<(offset + table.rowCount)]
                let beta = weights.groups[(offset + table.rowCount)..<(offset + table.rowCount + table.columnCount)]
                offset += table.rowCount + table.columnCount
                return (alpha, beta)
            }
        }

        /// C's share: w_R − Σ α_i β_j e_ij.
        func claim(_ weights: Weights, maskW: GaloisRing.Element) -> GaloisRing.Element {
            var total = GaloisRing.Element.zero
            for (table, (alpha, beta)) in zip(self.tables, self.factors(weights)) {
                let columns = table.columnCount
                for (i, a) in alpha.enumerated() {
                    var row = GaloisRing.Element.zero
                    for (j, b) in beta.enumerated() {
                        row = row + GaloisRing.Element(exceptional: b).scaled(by: table.e[i * columns + j])
                    }
                    total = total + GaloisRing.Element(exceptional: a) * row
                }
            }
            return maskW - total
        }

        /// The prover's p on the grid but the origin: Σ_ij α_i β_j P_ij(z), P_ij(z) = Σ_k f_ik(z) g_jk(z) summed in
        /// the base ring (R + C grid extensions and R·C products per position), over two halves of the positions at once
        /// (`ProductProof.inHalves`).
        func firstRoundValues(_ weights: Weights, mask: GaloisRing.Element?) async -> [GaloisRing.Element] {
            let (d, size) = (GaloisRing.degree, self.grid.size)
            var s = [UInt64](repeating: 0, count: d * size)
            for (table, (alpha, beta)) in zip(self.tables, self.factors(weights)) {
                let sums = await ProductProof.inHalves(0..<table.length, alignment: self.rowCount, join: Ring.add) {
                    self.pairSums(table, positions: $0)
                }
                // Coefficient t of α_i β_j times P_ij, into coefficient t of p.
                s.withUnsafeMutableBufferPointer { s in
                    sums.withUnsafeBufferPointer { sums in
                        for (i, a) in alpha.enumerated() {
                            for (j, b) in beta.enumerated() {
                                let weight = GaloisRing.Element(exceptional: a) * GaloisRing.Element(exceptional: b)
                                for (t, c) in weight.coefficients.enumerated() where c != 0 {
                                    consort_ring_axpy(
                                        s.baseAddress! + t * size,
                                        sums.baseAddress! + (i * table.columnCount + j) * size,
                                        c, size)
                                }
                            }
                        }
                    }
                }
            }
            return self.grid.values(coefficients: s, mask: mask)
        }

        /// P_ij on the grid per pair (i, j) of `table`, pair after pair, summed over the positions in `positions`
        /// (element offsets, multiples of the row count).
        private func pairSums(_ table: ProductStatement.Table, positions: Range<Int>) -> [UInt64] {
            let (m, size) = (self.rowCount, self.grid.size)
            let (rows, columns, length) = (table.rowCount, table.columnCount, table.length)
            var sums = [UInt64](repeating: 0, count: rows * columns * size)
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: (rows + columns) * size) { scratch in
                scratch.initialize(repeating: 0)
                let left = scratch.baseAddress!
                let right = left + rows * size
                sums.withUnsafeMutableBufferPointer { sums in
                    table.rows.withUnsafeBufferPointer { a in
                        table.columns.withUnsafeBufferPointer { b in
                            let plan = self.grid.plan
                            for k in stride(from: positions.lowerBound, to: positions.upperBound, by: m) {
                                for i in 0..<rows {
                                    consort_ring_extend_grid(
                                        a.baseAddress! + i * length + k, plan, size, left + i * size)
                                }
                                for j in 0..<columns {
                                    consort_ring_extend_grid(
                                        b.baseAddress! + j * length + k, plan, size, right + j * size)
                                }
                                for i in 0..<rows {
                                    for j in 0..<columns {
                                        consort_ring_multiply_add(
                                            sums.baseAddress! + (i * columns + j) * size, left + i * size,
                                            right + j * size, size)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return sums
        }

        /// u = Σ_i α_i f_i(r) and v = Σ_j β_j g_j(r) of each table, table after table, written from position 0.
        func fold(
            _ weights: Weights, basis: [UInt64], u: UnsafeMutablePointer<UInt64>, v: UnsafeMutablePointer<UInt64>
        ) {
            let d = GaloisRing.degree
            let pairs = ProductProof.foldPairs(basis, rows: self.rowCount)
            var offset = 0
            for ((table, (alpha, beta)), width) in zip(zip(self.tables, self.factors(weights)), self.widths) {
                table.rows.withUnsafeBufferPointer { rows in
                    Self.combine(
                        rows.baseAddress!, length: table.length, weights: alpha, width: width, basis: basis,
                        pairs: pairs, into: u + offset * d)
                }
                table.columns.withUnsafeBufferPointer { columns in
                    Self.combine(
                        columns.baseAddress!, length: table.length, weights: beta, width: width, basis: basis,
                        pairs: pairs, into: v + offset * d)
                }
                offset += width
            }
        }

        /// Position k of `out`: Σ_i w_i Σ_j e_j(r) x_i[k·M + j], the vectors folded two at a time.
        private static func combine(
            _ vectors: UnsafePointer<UInt64>, length: Int, weights: ArraySlice<UInt64>, width: Int, basis: [UInt64],
            pairs: [UInt64], into out: UnsafeMutablePointer<UInt64>
        ) {
            let d = GaloisRing.degree
            let m = length / width
            let count = weights.count
            let w = Array(weights)
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 3 * d) { scratch in
                let (first, second, product) = (
                    scratch.baseAddress!, scratch.baseAddress! + d, scratch.baseAddress! + 2 * d
                )
                for k in 0..<width {
                    let target = out + k * d
                    target.update(repeating: 0, count: d)
                    for i in stride(from: 0, to: count, by: 2) {
                        let other = min(i + 1, count - 1)
                        first.update(repeating: 0, count: 2 * d)
                        consort_ring_fold_rows(
                            basis, pairs, vectors + i * length + k * m, vectors + other * length + k * m, m, first,
                            second)
                        consort_ring_multiply_exceptional(first, w[i], product)
                        consort_ring_add(target, product, d)
                        if other != i {
                            consort_ring_multiply_exceptional(second, w[other], product)
                            consort_ring_add(target, product, d)
                        }
                    }
                }
            }
        }
    }
}
