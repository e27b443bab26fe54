extension Replicated3.Engine {
    /// Obliviously shuffles the rows of `columns` (all of one length) with one random permutation nobody knows.
    ///
    /// Three passes; in the pass of pair (c, c+1) — who share key K(c+1) — x is a two-party sum A + B (A = x_c + x_{c+1}
    /// at party c, B = x_{c+2} at party c+1). Both permute with π from K(c+1) and re-randomise with masks from it, and
    /// both send one masked vector to party c+2. Party c+2 never sees π, and each party misses one of the three
    /// permutations, so no one knows the composition. One round and 16 bytes per element per party over the passes.
    package mutating func shuffle(_ columns: [Replicated3.Share]) async throws -> [Replicated3.Share] {
        guard let rows = columns.first?.count else { return [] }
        guard columns.allSatisfy({ $0.count == rows }) else {
            throw MPCError(.invalidArgument, "shuffle: columns differ in length")
        }
        var stacked = Replicated3.Share.concatenate(columns)
        for c in 0..<3 {
            stacked = try await self.shufflePass(stacked, pair: c, rows: rows)
        }
        return (0..<columns.count).map { stacked.slice($0 * rows..<($0 + 1) * rows) }
    }

    private mutating func shufflePass(_ x: Replicated3.Share, pair c: Int, rows: Int) async throws -> Replicated3.Share
    {
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
            let permutation = self.withNext.permutation(rows)
            let z = self.withNext.words(total)
            let r = self.withNext.words(total)
            let masked = Ring.subtract(Ring.add(permute(Ring.add(x.mine, x.next), permutation), z), r)
            _ = try await self.exchange(toPrevious: masked)
            return Replicated3.Share(mine: masked, next: r)
        case 1:
            let permutation = self.withPrevious.permutation(rows)
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
