extension Replicated3.Engine {
    /// Sorts rows by `key` (ascending), keys in [0, 2^keyBits), carrying `payload` columns along.
    ///
    /// Keys are made distinct (key · 2^⌈log₂ n⌉ + row index), the rows are shuffled obliviously, then a quicksort
    /// compares and reveals only comparisons between shuffled distinct keys — which show nothing but the order of a
    /// random permutation. Each quicksort level compares every unsorted row with its segment's pivot in one batch.
    package mutating func sort(
        key: Replicated3.Share,
        payload: [Replicated3.Share] = [],
        keyBits: Int
    ) async throws -> (key: Replicated3.Share, payload: [Replicated3.Share]) {
        let rows = key.count
        guard rows > 1 else { return (key, payload) }
        let indexBits = max(1, Int.bitWidth - (rows - 1).leadingZeroBitCount)
        guard keyBits + indexBits <= 62 else {
            throw MPCError(.invalidArgument, "sort: \(keyBits)-bit keys of \(rows) rows need more than 62 bits")
        }
        let indices = (0..<rows).map { UInt64($0) }
        let composite = key.scaled(by: Int64(1) << Int64(indexBits)).adding(public: indices, party: self.party)
        let columns = [composite, key] + payload
        let shuffled =
            self.verification == nil ? try await self.shuffle(columns) : try await self.verifiedShuffle(columns)
        let order = try await self.quicksortOrder(shuffled[0], bits: keyBits + indexBits + 1)
        return (shuffled[1].permuted(order), shuffled.dropFirst(2).map { $0.permuted(order) })
    }

    /// The ascending order of distinct shared values (already shuffled): a public permutation.
    mutating func quicksortOrder(_ values: Replicated3.Share, bits: Int) async throws -> [Int] {
        var order = Array(0..<values.count)
        var segments: [Range<Int>] = [0..<values.count]
        while !segments.isEmpty {
            var elements: [Int] = []
            var pivots: [Int] = []
            for segment in segments {
                let pivot = order[segment.lowerBound]
                for position in segment.dropFirst() {
                    elements.append(order[position])
                    pivots.append(pivot)
                }
            }
            let below = try await self.openBits(
                try await self.signBit(values.permuted(elements) - values.permuted(pivots), bits: bits))
            var cursor = 0
            var nextSegments: [Range<Int>] = []
            for segment in segments {
                var less: [Int] = []
                var greater: [Int] = []
                for position in segment.dropFirst() {
                    if (below[cursor >> 6] >> UInt64(cursor & 63)) & 1 == 1 {
                        less.append(order[position])
                    } else {
                        greater.append(order[position])
                    }
                    cursor += 1
                }
                let pivot = order[segment.lowerBound]
                let start = segment.lowerBound
                order.replaceSubrange(segment, with: less + [pivot] + greater)
                if less.count > 1 { nextSegments.append(start..<start + less.count) }
                if greater.count > 1 { nextSegments.append(start + less.count + 1..<segment.upperBound) }
            }
            segments = nextSegments
        }
        return order
    }
}
