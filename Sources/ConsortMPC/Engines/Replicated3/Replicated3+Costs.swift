import Foundation

extension Replicated3 {
    /// The replicated engine's communication, operation by operation, as its protocol steps send it (the engine's
    /// tests check every formula against the rounds and bytes the parties really send). Bytes are summed over the
    /// three parties; a plane of bit-sliced bits for n elements is ⌈n/64⌉ words.
    ///
    /// With `active`, the actively secure engine's (`Specs/engines.md` §3): openings and the end of the session each run
    /// the pending proof (priced as a full batch's, an upper bound) and take the missing component from both holders,
    /// and shuffles are the tagged 128-bit ones. Proofs that a full batch triggers between openings are not counted.
    package struct Costs: CostModel {
        /// Prices the actively secure engine.
        let active: Bool

        package init(active: Bool = false) { self.active = active }

        static func words(_ count: Int) -> Int { (count + 63) / 64 }

        package func input(count: Int) -> OperationCost { OperationCost(rounds: 1, bytes: 8 * count) }
        package func multiply(count: Int) -> OperationCost { OperationCost(rounds: 1, bytes: 3 * 8 * count) }
        package func innerProducts(count: Int) -> OperationCost { OperationCost(rounds: 1, bytes: 3 * 8 * count) }
        package func open(count: Int) -> OperationCost { self.opening(words: count) }

        package func lessThan(count: Int, bits: Int) -> OperationCost {
            self.signBit(count: count, bits: bits) + self.bitToArithmetic(count: count, planes: 1)
        }

        /// Sign bits, then `anySet`.
        package func anyNegative(count: Int, bits: Int, spans: [Int]) -> OperationCost? {
            self.signBit(count: count, bits: bits) + self.anySet(spans: spans)
        }

        /// From 4096 elements on, one sharing, a ripple with a comparison beside it (2·(bits − 1) AND gates in
        /// `bits` rounds), then `anySet`; below, the two sign tests of `outsideBySigns`.
        package func anyOutside(count: Int, bits: Int, spans: [Int]) -> OperationCost? {
            guard count >= Replicated3.rippleMinimum else {
                let doubled = spans.map { 2 * $0 }
                return self.anyNegative(count: doubled.reduce(0, +), bits: bits, spans: doubled)
            }
            var cost = self.splitAddends(count: count, bits: bits, high: false) + self.and(count: count, planes: 1)
            for j in 1..<bits { cost += self.and(count: count, planes: j == bits - 1 ? 1 : 2) }
            return cost + self.anySet(spans: spans)
        }

        /// `Engine.anySet`: per span a halving AND tree over its words and 6 levels inside the last word (all spans in
        /// the same rounds), then one conversion per span.
        func anySet(spans: [Int]) -> OperationCost {
            var cost = OperationCost.free
            var words = spans.map { max(1, Self.words($0)) }
            while words.contains(where: { $0 > 1 }) {
                cost += self.and(count: 64 * words.reduce(0) { $0 + $1 / 2 }, planes: 1)
                words = words.map { $0 / 2 + $0 % 2 }
            }
            for _ in 0..<6 { cost += self.and(count: 64 * spans.count, planes: 1) }
            return cost + self.bitToArithmetic(count: spans.count, planes: 1)
        }

        package func equal(count: Int, bits: Int) -> OperationCost {
            var cost = self.splitAddends(count: count, bits: bits, high: false)
            // AND of all planes by a halving tree.
            var planes = bits
            while planes > 1 {
                cost += self.and(count: count, planes: planes / 2)
                planes = planes / 2 + planes % 2
            }
            return cost + self.bitToArithmetic(count: count, planes: 1)
        }

        package func truncate(count: Int, by bits: Int) -> OperationCost {
            self.splitAddends(count: count, bits: 64, high: true) + self.and(count: count, planes: 64)
                + self.carries(count: count, into: [bits, 63]) + self.and(count: count, planes: 1)
                + self.bitToArithmetic(count: count, planes: 3)
        }

        package func bitDecompose(count: Int, bits: Int) -> OperationCost {
            let split = self.splitAddends(count: count, bits: bits, high: false)
            guard bits > 1 else { return split + self.bitToArithmetic(count: count, planes: 1) }
            return split + self.and(count: count, planes: bits) + self.carries(count: count, into: Array(1..<bits))
                + self.bitToArithmetic(count: count, planes: bits)
        }

        /// Three passes; in each, two parties send the whole stack of columns. Actively secure: two words per element
        /// and a tag column, one round for the tags, the keys' and the check's openings.
        package func shuffle(rows: Int, columns: Int) -> OperationCost {
            guard columns > 0 else { return .free }
            guard self.active else {
                // Three passes per group of columns (`Engine.shuffle`).
                let perGroup = max(1, Replicated3.shuffleGroupElements / max(rows, 1))
                let groups = (columns + perGroup - 1) / perGroup
                return OperationCost(rounds: 3 * groups, bytes: 3 * 2 * 8 * rows * columns)
            }
            return OperationCost(rounds: 4, bytes: 3 * 16 * rows + 3 * 2 * 16 * rows * (columns + 1))
                + self.checkedOpening(words: 2 * (columns + 1)) + self.checkedOpening(words: 2 * 3)
        }

        /// The shuffle of the composite key, the key and the payload, then quicksort levels, each comparing every
        /// unsorted row with its pivot and opening the outcome. The number of levels and of comparisons depends on
        /// the (random) order: this is their expectation — about 2(n+1)H_n − 4n comparisons over the height of a
        /// random binary search tree (Reed, J. ACM 2003), corrected for moderate n.
        package func sort(rows: Int, keyBits: Int, payload: Int) -> OperationCost {
            guard rows > 1 else { return .free }
            let indexBits = max(1, Int.bitWidth - (rows - 1).leadingZeroBitCount)
            let bits = keyBits + indexBits + 1
            let n = Double(rows)
            let harmonic = (1...rows).reduce(0.0) { $0 + 1 / Double($1) }
            let comparisons = max(1, Int((2 * (n + 1) * harmonic - 4 * n).rounded()))
            // Levels = height of a random binary search tree less its leaf level: Reed's 4.311 ln n − 1.953 ln ln n plus
            // a correction for moderate n fitted to simulation (within 0.2 levels of the mean for 10 ≤ n ≤ 10^6, where
            // the asymptotic formula alone is 3.7–5.8 levels high); the spread is about 2 levels.
            let levels =
                rows < 3
                ? 1 : max(1, Int((4.311 * log(n) - 1.953 * log(log(n)) - 5.67 + 4.97 / log(n)).rounded()))
            let perLevel = self.signBit(count: rows, bits: bits) + self.opening(words: Self.words(rows))
            let bytesPerComparison = Double(perLevel.bytes) / n
            // A level of a long column compares a slice at a time (almost every level compares almost every row).
            let slices = (rows + Replicated3.comparisonSliceElements - 1) / Replicated3.comparisonSliceElements
            return self.shuffle(rows: rows, columns: 2 + payload)
                + OperationCost(
                    rounds: levels * perLevel.rounds * slices,
                    bytes: Int((bytesPerComparison * Double(comparisons)).rounded()))
        }

        /// `end` frames are the transport's; a passive session checks nothing. An active one runs its last proof and
        /// each party tells both neighbours its checks passed.
        package func finish() -> OperationCost {
            self.active ? Self.proof + OperationCost(rounds: 1, bytes: 3 * 2 * 8) : .free
        }

        /// Opening `words` words: each party sends its first component to the next party; actively secure, after the
        /// pending proof, and with a digest of its second component to the previous party.
        func opening(words: Int) -> OperationCost {
            self.active
                ? Self.proof + self.checkedOpening(words: words) : OperationCost(rounds: 1, bytes: 3 * 8 * words)
        }

        func checkedOpening(words: Int) -> OperationCost { OperationCost(rounds: 1, bytes: 3 * (8 * words + 32)) }

        /// One proof of a full batch (2^20 terms), all three parties proving and verifying at once: 5 + 2T rounds for
        /// T rounds after the first (`ProductProof.rounds`); per party the mask and first-round shares to both
        /// verifiers, per later round of v variables 3^v − 1 Galois-ring elements to each and v challenges, and the
        /// final values (`Specs/engines.md` §3). The AND gates' proof, when gates are pending, adds its own rounds of
        /// single words (not counted).
        static let proof: OperationCost = {
            let element = 8 * GaloisRing.degree
            let grid = ProductProof.Grid.of(variables: ProductProof.variables(terms: Verification.defaultBatchTerms))
            let rounds = ProductProof.rounds(
                length: ProductProof.tailLength(positions: Verification.defaultBatchTerms / grid.rows))
            let firstRound = grid.size - 1
            let later = rounds.reduce(0) { total, variables in
                total + 2 * (ProductProof.Grid.of(variables: variables).size - 1) * element + 16 * variables
            }
            let perParty = 2 * (3 + firstRound + 3) * element + 16 + 8 * grid.variables + later
            return OperationCost(rounds: 5 + 2 * rounds.count, bytes: 3 * perParty)
        }()

        // MARK: Protocol steps

        /// AND of `planes` bit planes: one round, every party sends its planes.
        func and(count: Int, planes: Int) -> OperationCost {
            OperationCost(rounds: 1, bytes: 3 * 8 * planes * Self.words(count))
        }

        /// The owner of each third sends its addend's bit planes (and, for truncation, its high part; actively secure,
        /// also a share of the addition's carries for the proof).
        func splitAddends(count: Int, bits: Int, high: Bool) -> OperationCost {
            let carries = self.active ? (bits - 1) * Self.words(count) : 0
            return OperationCost(rounds: 1, bytes: 8 * (bits * Self.words(count) + (high ? count : 0) + carries))
        }

        func signBit(count: Int, bits: Int) -> OperationCost {
            let split = self.splitAddends(count: count, bits: bits, high: false)
            guard count >= Replicated3.rippleMinimum else {
                return split + self.and(count: count, planes: bits - 1) + self.carries(count: count, into: [bits - 1])
            }
            let plan = Replicated3.BlockCarryPlan(planes: bits - 1)
            return plan.planesPerStep.reduce(split) { $0 + self.and(count: count, planes: $1) }
                + self.carries(count: count, into: [plan.blocks.count])
        }

        /// Two rounds over the planes laid end to end: one element per bit from one party, then two from two.
        func bitToArithmetic(count: Int, planes: Int) -> OperationCost {
            OperationCost(rounds: 2, bytes: 3 * 8 * planes * Self.words(count) * 64)
        }

        /// The carry trees of `Engine.carries`: per level, one AND per pair of segments and a second where the lower
        /// segment has a propagate bit; all trees advance in the same rounds.
        func carries(count: Int, into targets: [Int]) -> OperationCost {
            // Each tree as its segments' "has a propagate bit"; the lowest segment has none.
            var trees = targets.map { target in (0..<target).map { $0 != 0 } }
            var cost = OperationCost.free
            while trees.contains(where: { $0.count > 1 }) {
                var products = 0
                trees = trees.map { tree in
                    var merged: [Bool] = []
                    for pair in stride(from: 0, to: tree.count - 1, by: 2) {
                        products += tree[pair] ? 2 : 1
                        merged.append(tree[pair])
                    }
                    if tree.count % 2 == 1 { merged.append(tree[tree.count - 1]) }
                    return merged
                }
                cost += self.and(count: count, planes: products)
            }
            return cost
        }
    }
}
