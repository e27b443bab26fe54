extension Replicated3 {
    /// One party's share of bit-sliced XOR-shared bits: `planes` planes of `words` words each, for `count` elements.
    package struct Bits: Sendable, Hashable {
        package var mine: [UInt64]
        package var next: [UInt64]
        package var planes: Int
        package var count: Int

        package var words: Int { (self.count + 63) / 64 }

        package init(mine: [UInt64], next: [UInt64], planes: Int, count: Int) {
            precondition(
                mine.count == next.count && mine.count == planes * ((count + 63) / 64), "bit share shape mismatch")
            self.mine = mine
            self.next = next
            self.planes = planes
            self.count = count
        }

        /// Plane `index` as a one-plane share.
        package func plane(_ index: Int) -> Bits {
            let range = index * self.words..<(index + 1) * self.words
            return Bits(mine: Array(self.mine[range]), next: Array(self.next[range]), planes: 1, count: self.count)
        }

        /// XOR (local).
        package static func ^ (lhs: Bits, rhs: Bits) -> Bits {
            Bits(
                mine: Ring.xor(lhs.mine, rhs.mine), next: Ring.xor(lhs.next, rhs.next), planes: lhs.planes,
                count: lhs.count)
        }

        /// NOT: XOR with public all-ones, carried by component 0 (parties 0 and 2).
        package func inverted(party: Int) -> Bits {
            var result = self
            if party == 0 { result.mine = result.mine.map { ~$0 } }
            if party == 2 { result.next = result.next.map { ~$0 } }
            return result
        }

        /// XOR with public words (one per word of every plane), carried by component 0 (parties 0 and 2).
        package func xoring(public words: [UInt64], party: Int) -> Bits {
            precondition(words.count == self.mine.count, "public words do not match the share")
            var result = self
            if party == 0 { result.mine = Ring.xor(result.mine, words) }
            if party == 2 { result.next = Ring.xor(result.next, words) }
            return result
        }

        /// AND with public words: every component, so the shared bits are ANDed (local).
        package func masked(by words: [UInt64]) -> Bits {
            precondition(words.count == self.mine.count, "public words do not match the share")
            var result = self
            result.mine = zip(result.mine, words).map { $0 & $1 }
            result.next = zip(result.next, words).map { $0 & $1 }
            return result
        }

        /// Planes stacked: all planes of the first, then of the second...
        package static func stack(_ parts: [Bits]) -> Bits {
            Bits(
                mine: parts.flatMap(\.mine), next: parts.flatMap(\.next), planes: parts.reduce(0) { $0 + $1.planes },
                count: parts.first?.count ?? 0)
        }

        /// Splits a stack of one-plane shares back.
        package func unstack() -> [Bits] { (0..<self.planes).map(self.plane) }
    }
}
