extension Replicated3 {
    /// One party's share of a vector of ring elements: component i (`mine`) and component i+1 (`next`).
    package struct Share: SharedVector, Hashable {
        package var mine: [UInt64]
        package var next: [UInt64]

        package init(mine: [UInt64], next: [UInt64]) {
            precondition(mine.count == next.count, "share components differ in length")
            self.mine = mine
            self.next = next
        }

        package var count: Int { self.mine.count }

        package static func + (lhs: Share, rhs: Share) -> Share {
            Share(mine: Ring.add(lhs.mine, rhs.mine), next: Ring.add(lhs.next, rhs.next))
        }

        package static func - (lhs: Share, rhs: Share) -> Share {
            Share(mine: Ring.subtract(lhs.mine, rhs.mine), next: Ring.subtract(lhs.next, rhs.next))
        }

        package static prefix func - (value: Share) -> Share {
            Share(mine: Ring.negate(value.mine), next: Ring.negate(value.next))
        }

        /// Multiplication by a public constant (local).
        package func scaled(by constant: Int64) -> Share {
            let word = UInt64(bitPattern: constant)
            return Share(mine: Ring.scale(self.mine, by: word), next: Ring.scale(self.next, by: word))
        }

        /// Elementwise multiplication by a public vector (local).
        package func multiplied(byPublic values: PublicVector) -> Share {
            let words = values.words
            return Share(mine: Ring.multiply(self.mine, words), next: Ring.multiply(self.next, words))
        }

        /// Adds a public vector: only component 0 carries it, so parties 0 (`mine`) and 2 (`next`) add it.
        package func adding(public values: [UInt64], party: Int) -> Share {
            var result = self
            if party == 0 { result.mine = Ring.add(result.mine, values) }
            if party == 2 { result.next = Ring.add(result.next, values) }
            return result
        }

        package func adding(constant: UInt64, party: Int) -> Share {
            self.adding(public: [UInt64](repeating: constant, count: self.count), party: party)
        }

        /// Elements `range` of the vector.
        package func slice(_ range: Range<Int>) -> Share {
            Share(mine: Array(self.mine[range]), next: Array(self.next[range]))
        }

        package mutating func replace(_ range: Range<Int>, with values: Share) {
            precondition(range.count == values.count, "replace: \(values.count) elements for \(range.count)")
            self.mine.replaceSubrange(range, with: values.mine)
            self.next.replaceSubrange(range, with: values.next)
        }

        package func strided(from start: Int, by step: Int) -> Share {
            Share(
                mine: Swift.stride(from: start, to: self.count, by: step).map { self.mine[$0] },
                next: Swift.stride(from: start, to: self.count, by: step).map { self.next[$0] })
        }

        /// The local sum of all elements: a share of the sum (linear, no communication).
        package func total() -> Share {
            Share(mine: [Ring.sum(self.mine)], next: [Ring.sum(self.next)])
        }

        /// Elements reordered by a public permutation: result[k] = self[order[k]].
        package func permuted(_ order: [Int]) -> Share {
            Share(mine: order.map { self.mine[$0] }, next: order.map { self.next[$0] })
        }

        package func repeatingElements(_ times: Int) -> Share {
            Share(
                mine: self.mine.flatMap { [UInt64](repeating: $0, count: times) },
                next: self.next.flatMap { [UInt64](repeating: $0, count: times) })
        }

        package static func concatenate(_ parts: [Share]) -> Share {
            Share(mine: parts.flatMap(\.mine), next: parts.flatMap(\.next))
        }

        package static func zeros(_ count: Int) -> Share {
            Share(mine: [UInt64](repeating: 0, count: count), next: [UInt64](repeating: 0, count: count))
        }

        // MARK: Encoding

        /// Both components, little-endian words: `mine` then `next`.
        package static var bytesPerElement: Int { 16 }

        /// The elements' words of `mine`, then of `next`.
        package static func encodedRanges(of rows: Range<Int>, count: Int) -> [Range<Int>] {
            [8 * rows.lowerBound..<8 * rows.upperBound, 8 * (count + rows.lowerBound)..<8 * (count + rows.upperBound)]
        }

        package var encoded: [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(16 * self.count)
            self.mine.withUnsafeBytes { bytes.append(contentsOf: $0) }
            self.next.withUnsafeBytes { bytes.append(contentsOf: $0) }
            return bytes
        }

        package init(encoded bytes: ArraySlice<UInt8>, count: Int) throws {
            guard bytes.count == 16 * count else {
                throw MPCError(
                    .invalidArgument,
                    "a replicated share of \(count) elements takes \(16 * count) bytes, not \(bytes.count)")
            }
            let start = bytes.startIndex
            self.init(
                mine: Ring.words(littleEndian: bytes[start..<start + 8 * count]),
                next: Ring.words(littleEndian: bytes[start + 8 * count..<start + 16 * count]))
        }
    }
}
