extension Replicated3.Engine {
    /// The shuffle with active security (`Specs/engines.md` §3): the passive protocol's three passes run on 128-bit
    /// lifts of the columns beside a tag per row, τ = Σₖ βₖ·xₖ mod 2^128 under random keys βₖ nobody knows; then the
    /// keys are opened and Σᵢ ρᵢ·(Σₖ βₖ·yₖᵢ − τᵢ) is opened for three challenge vectors ρ and must be zero. A pass's
    /// message depends on a permutation one verifier knows and a share the other knows, so no honest party can
    /// recompute it; the tags make any change to the data that is not zero mod 2^64 show, as SPDZ2k's MACs do, with
    /// probability at least 1 − 2^-47 per shuffle.
    ///
    /// Rounds: one for the tags, three passes, one to open the keys and the challenge seed, one to open the checks.
    mutating func verifiedShuffle(_ columns: [Replicated3.Share]) async throws -> [Replicated3.Share] {
        guard let rows = columns.first?.count else { return [] }
        guard columns.allSatisfy({ $0.count == rows }) else {
            throw MPCError(.invalidArgument, "shuffle: columns differ in length")
        }
        guard rows > 0 else { return columns }
        let width = columns.count
        // β₀ … β_{width−1} and the challenge seed: random 128-bit sharings, each missing one component to every party.
        let keys = self.randomShare(2 * (width + 1))
        let tags = try await self.tags(columns, keys: WideShare(words: keys))
        var stacked = WideShare(mine: WideShare.lift(columns.map(\.mine)), next: WideShare.lift(columns.map(\.next)))
        stacked.mine += tags.mine
        stacked.next += tags.next
        for c in 0..<3 {
            stacked = try await self.wideShufflePass(stacked, pair: c, rows: rows)
        }

        let opened = WideShare.sum(keys, missing: try await self.missingComponent(of: keys))
        let beta = Array(opened[0..<width])
        var challenges = PRG(key: PRG.key(words: WideShare.words([opened[width]])))
        let rho = WideShare.elements(challenges.words(2 * Self.shuffleChecks * rows))
        // This side's share of each row's defect Σₖ βₖyₖᵢ − τᵢ, then of its three random combinations.
        func checks(_ component: [UInt128]) -> [UInt128] {
            let defects = (0..<rows).map { i in
                (0..<width).reduce(0 &- component[width * rows + i]) { $0 &+ beta[$1] &* component[$1 * rows + i] }
            }
            return (0..<Self.shuffleChecks).map { j in
                (0..<rows).reduce(UInt128(0)) { $0 &+ rho[j * rows + $1] &* defects[$1] }
            }
        }
        let check = Replicated3.Share(
            mine: WideShare.words(checks(stacked.mine)), next: WideShare.words(checks(stacked.next)))
        let missing = try await self.missingComponent(of: check)
        guard WideShare.sum(check, missing: missing).allSatisfy({ $0 == 0 }) else {
            throw MPCError(
                .cheatingDetected,
                "the shuffle's check failed at party \(self.party): party \(self.previous) or party \(self.next) "
                    + "changed the rows it passed on", suspects: [self.previous, self.next])
        }
        return (0..<width).map { k in
            let range = k * rows..<(k + 1) * rows
            return Replicated3.Share(
                mine: stacked.mine[range].map { UInt64(truncatingIfNeeded: $0) },
                next: stacked.next[range].map { UInt64(truncatingIfNeeded: $0) })
        }
    }

    /// Independent challenge vectors of the shuffle's check; see `Specs/engines.md` §3 for the bound.
    static var shuffleChecks: Int { 3 }

    /// Replicated shares of τᵢ = Σₖ βₖ·xₖᵢ mod 2^128: the local 2-out-of-3 products plus a zero sharing, sent to the
    /// previous party (as a multiplication's reshare). A wrong message here only makes the check fail.
    private mutating func tags(_ columns: [Replicated3.Share], keys: WideShare) async throws -> WideShare {
        let rows = columns[0].count
        let previous = WideShare.elements(self.withPrevious.words(2 * rows))
        let next = WideShare.elements(self.withNext.words(2 * rows))
        var local = zip(previous, next).map { $0 &- $1 }
        for (k, column) in columns.enumerated() {
            let mine = keys.mine[k]
            let next = keys.next[k]
            for i in 0..<rows {
                let x = UInt128(column.mine[i])
                let y = UInt128(column.next[i])
                local[i] &+= mine &* (x &+ y) &+ next &* x
            }
        }
        // A wrong tag kept as well as sent (a copy the receiver alone holds is replaced by the first pass unused).
        if self.deviates(.wrongTag) { local[0] &+= 1 }
        let received = try await self.exchange(toPrevious: WideShare.words(local), fromNext: true)
        return WideShare(
            mine: local, next: WideShare.elements(try self.expect(received.next, count: 2 * rows, from: self.next)))
    }

    /// One pass of `shuffle` in 128-bit arithmetic (the same roles and messages, two words per element).
    private mutating func wideShufflePass(_ x: WideShare, pair c: Int, rows: Int) async throws -> WideShare {
        let total = x.mine.count
        func permute(_ values: [UInt128], _ permutation: [Int]) -> [UInt128] {
            var out = [UInt128](repeating: 0, count: total)
            for column in stride(from: 0, to: total, by: rows) {
                for (position, from) in permutation.enumerated() { out[column + position] = values[column + from] }
            }
            return out
        }
        func deviating(_ permutation: [Int]) -> [Int] {
            guard permutation.count > 1, self.deviates(.wrongPermutation) else { return permutation }
            var swapped = permutation
            swapped.swapAt(0, 1)
            return swapped
        }
        switch (self.party - c + 3) % 3 {
        case 0:
            let permutation = deviating(self.withNext.permutation(rows))
            let z = WideShare.elements(self.withNext.words(2 * total))
            let r = WideShare.elements(self.withNext.words(2 * total))
            let sum = zip(x.mine, x.next).map { $0 &+ $1 }
            var masked = zip(zip(permute(sum, permutation), z), r).map { $0.0 &+ $0.1 &- $1 }
            if self.deviates(.wrongShuffle) { masked[0] &+= 1 << 40 }
            _ = try await self.exchange(toPrevious: WideShare.words(masked))
            return WideShare(mine: masked, next: r)
        case 1:
            let permutation = deviating(self.withPrevious.permutation(rows))
            let z = WideShare.elements(self.withPrevious.words(2 * total))
            let r = WideShare.elements(self.withPrevious.words(2 * total))
            var masked = zip(permute(x.next, permutation), z).map { $0 &- $1 }
            if self.deviates(.wrongShuffle) { masked[0] &+= 1 << 40 }
            _ = try await self.exchange(toNext: WideShare.words(masked))
            return WideShare(mine: r, next: masked)
        default:
            let received = try await self.exchange(fromPrevious: true, fromNext: true)
            return WideShare(
                mine: WideShare.elements(try self.expect(received.previous, count: 2 * total, from: self.previous)),
                next: WideShare.elements(try self.expect(received.next, count: 2 * total, from: self.next)))
        }
    }
}

/// A replicated share over Z_2^128 (the shuffle's lift), sent as two 64-bit words per element, low word first.
struct WideShare {
    var mine: [UInt128]
    var next: [UInt128]

    init(mine: [UInt128], next: [UInt128]) {
        self.mine = mine
        self.next = next
    }

    init(words share: Replicated3.Share) {
        self.init(mine: Self.elements(share.mine), next: Self.elements(share.next))
    }

    /// Components read as 128-bit integers, column after column.
    static func lift(_ columns: [[UInt64]]) -> [UInt128] {
        var lifted = [UInt128]()
        lifted.reserveCapacity(columns.reduce(0) { $0 + $1.count })
        for column in columns {
            for word in column { lifted.append(UInt128(word)) }
        }
        return lifted
    }

    static func elements(_ words: [UInt64]) -> [UInt128] {
        precondition(words.count.isMultiple(of: 2), "128-bit elements are two words each")
        return (0..<words.count / 2).map { UInt128(words[2 * $0 + 1]) << 64 | UInt128(words[2 * $0]) }
    }

    static func words(_ elements: [UInt128]) -> [UInt64] {
        var words = [UInt64]()
        words.reserveCapacity(2 * elements.count)
        for element in elements {
            words.append(UInt64(truncatingIfNeeded: element))
            words.append(UInt64(truncatingIfNeeded: element >> 64))
        }
        return words
    }

    /// The opened 128-bit values of a share given as words, from its two components and the missing one.
    static func sum(_ share: Replicated3.Share, missing: [UInt64]) -> [UInt128] {
        zip(zip(Self.elements(share.mine), Self.elements(share.next)), Self.elements(missing)).map {
            $0.0 &+ $0.1 &+ $1
        }
    }
}
