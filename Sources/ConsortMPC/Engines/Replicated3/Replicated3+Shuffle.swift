extension Replicated3.Engine {
    /// Obliviously shuffles the rows of `columns` (all of one length) with one random permutation nobody knows.
    ///
    /// Three passes; in the pass of pair (c, c+1) — who share key K(c+1) — x is a two-party sum A + B (A = x_c + x_{c+1}
    /// at party c, B = x_{c+2} at party c+1). Both permute with π from K(c+1) and re-randomise with masks from it, and
    /// both send one masked vector to party c+2. Party c+2 never sees π, and each party misses one of the three
    /// permutations, so no one knows the composition. Three rounds (one per pass) per group of columns, and 16
    /// bytes per element per party over the passes. Columns go through the passes in groups of at most
    /// `shuffleGroupElements` elements (whole columns; the permutations are drawn once), so a table of many long
    /// columns is never held more than once beside its input.
    package mutating func shuffle(_ columns: consuming [Replicated3.Share]) async throws -> [Replicated3.Share] {
        guard let rows = columns.first?.count else { return [] }
        guard columns.allSatisfy({ $0.count == rows }) else {
            throw MPCError(.invalidArgument, "shuffle: columns differ in length")
        }
        // Pass c's permutation, known to the pair (c, c+1) that applies it.
        let permutations: [[Int]] = (0..<3).map { c in
            switch (self.party - c + 3) % 3 {
            case 0: return self.withNext.permutation(rows)
            case 1: return self.withPrevious.permutation(rows)
            default: return []
            }
        }
        let perGroup = max(1, self.shuffleGroupElements / max(rows, 1))
        var shuffled: [Replicated3.Share] = []
        shuffled.reserveCapacity(columns.count)
        for start in stride(from: 0, to: columns.count, by: perGroup) {
            let group = start..<min(start + perGroup, columns.count)
            var stacked = Replicated3.Share.concatenate(Array(columns[group]))
            for index in group { columns[index] = .zeros(0) }  // held once, stacked
            for c in 0..<3 {
                stacked = try await self.shufflePass(stacked, pair: c, rows: rows, permutation: permutations[c])
            }
            shuffled += (0..<group.count).map { stacked.slice($0 * rows..<($0 + 1) * rows) }
        }
        return shuffled
    }

    private mutating func shufflePass(
        _ x: Replicated3.Share, pair c: Int, rows: Int, permutation: [Int]
    ) async throws -> Replicated3.Share {
        let total = x.count
        func permute(_ values: [UInt64], _ permutation: [Int]) -> [UInt64] {
            var out = [UInt64](repeating: 0, count: total)
            values.withUnsafeBufferPointer { source in
                out.withUnsafeMutableBufferPointer { target in
                    for column in stride(from: 0, to: total, by: rows) {
                        for (position, from) in permutation.enumerated() {
                            target[column + position] = source[column + from]
                        }
                    }
                }
            }
            return out
        }
        switch (self.party - c + 3) % 3 {
        case 0:
            let z = self.withNext.words(total)
            let r = self.withNext.words(total)
            let masked = Ring.subtract(Ring.add(permute(Ring.add(x.mine, x.next), permutation), z), r)
            _ = try await self.exchange(toPrevious: masked)
            return Replicated3.Share(mine: masked, next: r)
        case 1:
            let z = self.withPrevious.words(total)
            let r = self.withPrevious.words(total)
            let masked = Ring.subtract(permute(x.next, permutation), z)
            _ = try await self.exchange(toNext: masked)
            return Replicated3.Share(mine: r, next: masked)
        default:
            let received = try await self.exchange(fromPrevious: true, fromNext: true)
            return Replicated3.Share(
                mine: try self.expect(received.previous, count: total, from: self.previous),
                next: try self.expect(received.next, count: total, from: self.next)
            )
        }
    }
}
