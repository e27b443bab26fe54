import Foundation

extension Replicated3 {
    /// The replicated engine's communication, operation by operation, as its protocol steps send it (the engine's
    /// tests check every formula against the rounds and bytes the parties really send). Bytes are summed over the
    /// three parties; a plane of bit-sliced bits for n elements is ⌈n/64⌉ words.
    package struct Costs: CostModel {
        package init() {}

        static func words(_ count: Int) -> Int { (count + 63) / 64 }

        package func input(count: Int) -> OperationCost { OperationCost(rounds: 1, bytes: 8 * count) }
        package func multiply(count: Int) -> OperationCost { OperationCost(rounds: 1, bytes: 3 * 8 * count) }
        package func innerProducts(count: Int) -> OperationCost { OperationCost(rounds: 1, bytes: 3 * 8 * count) }
        package func open(count: Int) -> OperationCost { OperationCost(rounds: 1, bytes: 3 * 8 * count) }

        package func lessThan(count: Int, bits: Int) -> OperationCost {
            self.signBit(count: count, bits: bits) + self.bitToArithmetic(count: count, planes: 1)
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

        /// Three passes; in each, two parties send the whole stack of columns.
        package func shuffle(rows: Int, columns: Int) -> OperationCost {
            columns == 0 ? .free : OperationCost(rounds: 3, bytes: 3 * 2 * 8 * rows * columns)
        }

        /// The shuffle of the composite key, the key and the payload, then quicksort levels, each comparing every
        /// unsorted row with its pivot and opening the outcome. The number of levels and of comparisons depends on
        /// the (random) order: this is their expectation — about 2(n+1)H_n − 4n comparisons over the height of a
        /// random binary search tree, 4.311·ln n − 1.953·ln ln n levels (Reed, J. ACM 2003).
        package func sort(rows: Int, keyBits: Int, payload: Int) -> OperationCost {
            guard rows > 1 else { return .free }
            let indexBits = max(1, Int.bitWidth - (rows - 1).leadingZeroBitCount)
            let bits = keyBits + indexBits + 1
            let n = Double(rows)
            let harmonic = (1...rows).reduce(0.0) { $0 + 1 / Double($1) }
            let comparisons = max(1, Int((2 * (n + 1) * harmonic - 4 * n).rounded()))
            let levels = rows < 3 ? 1 : max(1, Int((4.311 * log(n) - 1.953 * log(log(n))).rounded()))
            let perLevel =
                self.signBit(count: rows, bits: bits) + OperationCost(rounds: 1, bytes: 3 * 8 * Self.words(rows))
            let bytesPerComparison = Double(perLevel.bytes) / n
            return self.shuffle(rows: rows, columns: 2 + payload)
                + OperationCost(
                    rounds: levels * perLevel.rounds, bytes: Int((bytesPerComparison * Double(comparisons)).rounded()))
        }

        /// `end` frames are the transport's; a passive session checks nothing.
        package func finish() -> OperationCost { .free }

        // MARK: Protocol steps

        /// AND of `planes` bit planes: one round, every party sends its planes.
        func and(count: Int, planes: Int) -> OperationCost {
            OperationCost(rounds: 1, bytes: 3 * 8 * planes * Self.words(count))
        }

        /// The owner of each third sends its addend's bit planes (and, for truncation, its high part).
        func splitAddends(count: Int, bits: Int, high: Bool) -> OperationCost {
            OperationCost(rounds: 1, bytes: 8 * (bits * Self.words(count) + (high ? count : 0)))
        }

        func signBit(count: Int, bits: Int) -> OperationCost {
            self.splitAddends(count: count, bits: bits, high: false) + self.and(count: count, planes: bits - 1)
                + self.carries(count: count, into: [bits - 1])
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
