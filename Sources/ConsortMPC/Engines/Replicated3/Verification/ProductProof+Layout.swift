extension ProductProof {
    /// A statement in the parts its first round takes: runs of many narrow gates side by side in the rows, runs of
    /// few wide gates (an inner product of whole columns) each spread over all rows — side by side a gate of L terms
    /// would fill one row of L positions and leave the others empty — and the tables of inner products (`Tables`).
    /// Each part has its own first round (its own weights and claim); their vectors are concatenated for the binary
    /// rounds, and the first part carries the mask pair. All three parties know every statement's shape, so they agree on the parts.
    struct Layout {
        /// One first round's share of the statement.
        enum Part {
            case rows(Rows)
            case tables(Tables)

            var positions: Int {
                switch self {
                case .rows(let rows): rows.positions
                case .tables(let tables): tables.positions
                }
            }

            /// Whether its gates are spread over all rows (no row weights: β ≡ 1).
            var spread: Bool {
                switch self {
                case .rows(let rows): rows.spread
                case .tables: true
                }
            }

            func weights(seed: [UInt64]) -> Weights {
                switch self {
                case .rows(let rows):
                    Weights(seed: seed, rows: rows.rowCount, groups: rows.groups, spread: rows.spread)
                case .tables(let tables):
                    Weights(seed: seed, rows: tables.rowCount, groups: tables.weightCount, spread: true)
                }
            }

            func claim(_ weights: Weights, maskW: GaloisRing.Element) -> GaloisRing.Element {
                switch self {
                case .rows(let rows): rows.claim(weights, maskW: maskW)
                case .tables(let tables): tables.claim(weights, maskW: maskW)
                }
            }

            func firstRoundValues(_ weights: Weights, mask: GaloisRing.Element?) async -> [GaloisRing.Element] {
                switch self {
                case .rows(let rows): await rows.firstRoundValues(weights, mask: mask)
                case .tables(let tables): await tables.firstRoundValues(weights, mask: mask)
                }
            }

            func fold(
                _ weights: Weights, basis: [UInt64], u: UnsafeMutablePointer<UInt64>, v: UnsafeMutablePointer<UInt64>
            ) {
                switch self {
                case .rows(let rows): rows.fold(weights, basis: basis, u: u, v: v)
                case .tables(let tables): tables.fold(weights, basis: basis, u: u, v: v)
                }
            }
        }

        let grid: Grid
        /// The parts that hold gates (the side-by-side part, possibly empty, when none does).
        let parts: [Part]

        /// Takes the statement's vectors where it can: pass it with `consume` to spare a copy.
        init(_ statement: consuming ProductStatement, variables: Int) {
            self.grid = Grid.of(variables: variables)
            var tables: [ProductStatement.Table] = []
            swap(&tables, &statement.tables)
            var parts: [Part] = []
            let spread = statement.spreadRuns(rows: self.grid.rows)
            if !spread.contains(true) {
                if !spread.isEmpty || tables.isEmpty { parts.append(.rows(Rows(statement, variables: variables))) }
            } else {
                if spread.contains(false) {
                    parts.append(.rows(Rows(copy statement, variables: variables, runs: spread.map { !$0 })))
                }
                parts.append(.rows(Rows(statement, variables: variables, runs: spread, spread: true)))
            }
            if !tables.isEmpty { parts.append(.tables(Tables(tables, variables: variables))) }
            self.parts = parts
        }

        /// Words of the first round's challenge: r, then γ for each part after the first.
        var firstChallengeCount: Int { self.grid.variables + self.parts.count - 1 }

        /// Positions of all parts, before the mask.
        var positions: Int { self.parts.reduce(0) { $0 + $1.positions } }

        /// Each part's weights from the verifiers' seed (a stream per part).
        func weights(seed: [UInt64]) -> [Weights] {
            self.parts.enumerated().map { index, part in part.weights(seed: [seed[0], seed[1] &+ UInt64(index)]) }
        }

        /// Each part's claim share; the first part's includes w_R.
        func claims(_ weights: [Weights], maskW: GaloisRing.Element) -> [GaloisRing.Element] {
            zip(self.parts, weights).enumerated().map { index, part in
                part.0.claim(part.1, maskW: index == 0 ? maskW : .zero)
            }
        }

        /// The prover's first-round values, part after part.
        func firstRoundValues(_ weights: [Weights], maskU: GaloisRing.Element, maskV: GaloisRing.Element) async
            -> [GaloisRing.Element]
        {
            let mask = maskU * maskV
            var values: [GaloisRing.Element] = []
            for (index, (part, weights)) in zip(self.parts, weights).enumerated() {
                values += await part.firstRoundValues(weights, mask: index == 0 ? mask : nil)
            }
            return values
        }

        /// The vectors after the first round at the challenge (r, γ…), padded to `length`: the parts' u and v one
        /// after the other (a later part's v times its γ), then the mask pair e_0(r)·(u_R, v_R).
        func folded(
            _ weights: [Weights], challenge: [UInt64], maskU: GaloisRing.Element, maskV: GaloisRing.Element,
            length: Int
        ) -> Vectors {
            let d = GaloisRing.degree
            precondition(length > self.positions && length.nonzeroBitCount == 1)
            precondition(challenge.count == self.firstChallengeCount)
            let basis = self.grid.rowBasis(at: Array(challenge[0..<self.grid.variables]))
            let gammas = [1] + challenge[self.grid.variables...]
            let basisWords = basis.flatMap(\.coefficients)
            var u = [UInt64](repeating: 0, count: length * d)
            var v = [UInt64](repeating: 0, count: length * d)
            u.withUnsafeMutableBufferPointer { u in
                v.withUnsafeMutableBufferPointer { v in
                    var offset = 0
                    for (index, (part, weights)) in zip(self.parts, weights).enumerated() {
                        part.fold(weights, basis: basisWords, u: u.baseAddress! + offset, v: v.baseAddress! + offset)
                        if index > 0 {
                            GaloisRing.scale(
                                v.baseAddress! + offset, count: part.positions, byExceptional: gammas[index])
                        }
                        offset += part.positions * d
                    }
                }
            }
            let maskIndex = self.positions * d
            u.replaceSubrange(maskIndex..<(maskIndex + d), with: (basis[0] * maskU).coefficients)
            v.replaceSubrange(maskIndex..<(maskIndex + d), with: (basis[0] * maskV).coefficients)
            return Vectors(u: u, v: v, length: length)
        }
    }
}
