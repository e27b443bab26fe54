extension Replicated3.Engine {
    /// Sorts rows by `key` (ascending), keys in [0, 2^keyBits), carrying `payload` columns along.
    ///
    /// Keys are made distinct (key · 2^⌈log₂ n⌉ + row index), the rows are shuffled obliviously, then a quicksort
    /// compares and reveals only comparisons between shuffled distinct keys — which show nothing but the order of a
    /// random permutation. Each quicksort level compares every unsorted row with its segment's pivot in one batch.
    package mutating func sort(
        key: consuming Replicated3.Share,
        payload: consuming [Replicated3.Share] = [],
        keyBits: Int
    ) async throws -> (key: Replicated3.Share, payload: [Replicated3.Share]) {
        let rows = key.count
        guard rows > 1 else { return (key, payload) }
        let indexBits = max(1, Int.bitWidth - (rows - 1).leadingZeroBitCount)
        guard keyBits + indexBits <= 62 else {
            throw MPCError(.invalidArgument, "sort: \(keyBits)-bit keys of \(rows) rows need more than 62 bits")
        }
        // The columns are the shuffle's from here on (no other name holds them): it lets each group go once it is
        // shuffled.
        let columns =
            [
                key.scaled(by: Int64(1) << Int64(indexBits)).adding(
                    public: (0..<rows).map { UInt64($0) }, party: self.party),
                key,
            ] + payload
        (key, payload) = (.zeros(0), [])
        var shuffled =
            self.verification == nil
            ? try await self.shuffle(consume columns) : try await self.verifiedShuffle(consume columns)
        MemoryTuning.releaseFreeMemory()
        let compositeKey = shuffled[0]
        shuffled[0] = .zeros(0)  // the quicksort rearranges it in place
        let order = try await self.quicksortOrder(consume compositeKey, bits: keyBits + indexBits + 1)
        // Each shuffled column is let go once it is permuted, so the table is held about once, not twice.
        var sorted: [Replicated3.Share] = []
        sorted.reserveCapacity(shuffled.count - 1)
        for index in 1..<shuffled.count {
            sorted.append(shuffled[index].permuted(order))
            shuffled[index] = .zeros(0)
        }
        MemoryTuning.releaseFreeMemory()
        return (sorted[0], Array(sorted.dropFirst()))
    }

    /// The ascending order of distinct shared values (already shuffled): a public permutation.
    ///
    /// Quicksort by levels: every unsorted segment's elements are compared with its first element (the pivot) in one
    /// batch, and each segment is rearranged as (less, pivot, greater), keeping relative order. The shares are kept
    /// in the current order, so a level reads them sequentially and only rearranges within segments (gathering
    /// them by a global permutation each level, as before, cost more than the comparisons' local work). The values
    /// are taken, so they are rearranged in place, not copied.
    mutating func quicksortOrder(_ values: consuming Replicated3.Share, bits: Int) async throws -> [Int] {
        let count = values.count
        var order = Array(0..<count)
        var (mine, next) = (values.mine, values.next)
        values = .zeros(0)
        var segments: [Range<Int>] = count > 1 ? [0..<count] : []
        var (orderScratch, mineScratch, nextScratch) = ([Int](), [UInt64](), [UInt64]())
        while !segments.isEmpty {
            let compared = segments.reduce(0) { $0 + $1.count - 1 }
            var differenceMine = [UInt64](repeating: 0, count: compared)
            var differenceNext = [UInt64](repeating: 0, count: compared)
            var cursor = 0
            for segment in segments {
                let (pivotMine, pivotNext) = (mine[segment.lowerBound], next[segment.lowerBound])
                for position in segment.lowerBound + 1..<segment.upperBound {
                    differenceMine[cursor] = mine[position] &- pivotMine
                    differenceNext[cursor] = next[position] &- pivotNext
                    cursor += 1
                }
            }
            // A level of a long column is compared a slice at a time (whole 64-bit words of outcomes), so the bit
            // planes of the comparison never span the column.
            var below: [UInt64] = []
            below.reserveCapacity((compared + 63) / 64)
            let sliceElements = max(64, self.comparisonSliceElements / 64 * 64)
            for start in stride(from: 0, to: compared, by: sliceElements) {
                let end = min(start + sliceElements, compared)
                let slice = Replicated3.Share(
                    mine: Array(differenceMine[start..<end]), next: Array(differenceNext[start..<end]))
                below += try await self.openBits(try await self.signBit(slice, bits: bits))
            }
            cursor = 0
            var nextSegments: [Range<Int>] = []
            for segment in segments {
                let start = segment.lowerBound
                // A stable partition: the less ones move down in place (never past an element not yet read), the
                // greater ones wait in the scratch arrays, then the pivot and they go above them.
                orderScratch.removeAll(keepingCapacity: true)
                mineScratch.removeAll(keepingCapacity: true)
                nextScratch.removeAll(keepingCapacity: true)
                let pivot = (order[start], mine[start], next[start])
                var lessAt = start
                for position in start + 1..<segment.upperBound {
                    let isLess = (below[cursor >> 6] >> UInt64(cursor & 63)) & 1 == 1
                    cursor += 1
                    if isLess {
                        order[lessAt] = order[position]
                        mine[lessAt] = mine[position]
                        next[lessAt] = next[position]
                        lessAt += 1
                    } else {
                        orderScratch.append(order[position])
                        mineScratch.append(mine[position])
                        nextScratch.append(next[position])
                    }
                }
                (order[lessAt], mine[lessAt], next[lessAt]) = pivot
                let above = lessAt + 1..<segment.upperBound
                order.replaceSubrange(above, with: orderScratch)
                mine.replaceSubrange(above, with: mineScratch)
                next.replaceSubrange(above, with: nextScratch)
                let less = lessAt - start
                if less > 1 { nextSegments.append(start..<start + less) }
                if segment.count - 1 - less > 1 { nextSegments.append(start + less + 1..<segment.upperBound) }
            }
            segments = nextSegments
        }
        return order
    }
}
