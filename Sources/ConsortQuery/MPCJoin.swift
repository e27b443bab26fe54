import ConsortMPC
import ConsortSpec

/// The inner equi-join under MPC (`Specs/consort-sql.md`, joins): both inputs' rows in one column set, "one" rows
/// first, sorted by key (a stable sort per key word, the last word first, so equal keys end up adjacent with the "one" row of
/// a key ahead of its "many" rows); then a segmented scan copies each key's head — its "one" row if it has one — to
/// the rows after it with the same key, in ⌈log₂ n⌉ rounds of multiplications (Hillis–Steele doubling). Only the
/// columns the query reads after the join are carried, and both sides' row validity travels as one column. Nothing is
/// opened but the sort's comparisons of shuffled distinct values; a "many" row is matched when the head it got is
/// a kept "one" row, and the query masks every other row out.
extension MPCQueryProgram {
    struct Joined {
        /// The joined rows' stored columns (`QueryPlan.table`'s: the "many" table's columns, then the "one" table's,
        /// then their presence bits; keys are zero), both inputs' rows.
        var columns: [Share]
        /// 1 for a kept "many" row with a kept partner.
        var valid: Share
        /// How many adjacent pairs of "one" rows share a key (0 when the key is unique); the same for "many" rows
        /// when their key is declared unique too.
        var oneRepeats: Share
        var manyRepeats: Share?
    }

    /// Lets `inputs` and `valid` go (empties them) as both tables' rows move into the sort's columns: each input
    /// column is dropped once its union is built, so the inputs and the union are never both held whole.
    func joined(_ engine: inout E, _ join: QueryPlan.Join, inputs: inout [[Share]], valid: inout [Share]) async throws
        -> Joined
    {
        let (manyTable, oneTable) = (self.plan.inputs[join.many].table, self.plan.inputs[join.one].table)
        let (manyRows, oneRows) = (self.inputRows[join.many], self.inputRows[join.one])
        let n = manyRows + oneRows
        func union(one: Share?, many: Share?) -> Share {
            .concatenate([one ?? .zeros(oneRows), many ?? .zeros(manyRows)])
        }
        func take(_ table: Int, _ column: Int) -> Share {
            defer { inputs[table][column] = .zeros(0) }
            return inputs[table][column]
        }
        // Only the columns the query reads after the join are carried through it.
        let read = self.plan.readColumns
        let oneAttributes = self.plan.carried(from: oneTable, offset: manyTable.columns.count).filter {
            read.contains($0.target)
        }
        let manyAttributes = self.plan.carried(from: manyTable, offset: 0).filter { read.contains($0.target) }
        let words = zip(oneTable.keyWords(of: join.oneKey), manyTable.keyWords(of: join.manyKey)).map {
            union(one: take(join.one, $0), many: take(join.many, $1))
        }
        let isOne = engine.constant(
            .list([Int64](repeating: 1, count: oneRows) + [Int64](repeating: 0, count: manyRows)))
        // Both sides' row validity in one column: a "one" row's is split off again after the sort.
        var payload = [isOne, union(one: valid[join.one], many: valid[join.many])]
        valid = []
        for attribute in oneAttributes { payload.append(union(one: take(join.one, attribute.source), many: nil)) }
        for attribute in manyAttributes { payload.append(union(one: nil, many: take(join.many, attribute.source))) }
        inputs = []
        // The joined table's columns: zeros where nothing is carried (keys among them), filled in at the end.
        var columns: [Share] { [Share](repeating: .zeros(n), count: self.plan.table.storedColumnNames.count) }
        guard n > 1 else {
            return Joined(
                columns: columns, valid: .zeros(n), oneRepeats: .zeros(1),
                manyRepeats: manyTable.columns[join.manyKey].unique ? .zeros(1) : nil)
        }
        let bits = oneTable.keyLayout.wordBits
        var sorted = try await self.sortedByKey(&engine, words: consume words, bits: bits, payload: consume payload)
        let validity = sorted.payload[1]
        let runs = try await self.runs(
            &engine, words: sorted.words, one: sorted.payload[0], validity: validity, bits: bits)
        sorted.words = []

        // Segmented copy of each key's head: f marks heads; at distance d a row that has not met a head yet takes
        // the values (and the mark) of the row d before it. Each round multiplies a slice of rows at a time and
        // writes the moved rows in place, the highest slice first: a slice writes rows at or above its start + d,
        // which no slice after it (lower rows) reads, so the columns are never copied whole.
        var heads = runs.heads
        let keptOne = runs.keptOne
        var carried = [keptOne] + sorted.payload[2..<2 + oneAttributes.count]
        for index in 0..<2 + oneAttributes.count { sorted.payload[index] = .zeros(0) }  // carried (or `validity`) now
        MemoryTuning.releaseFreeMemory()  // what the sort and the runs let go
        var distance = 1
        while distance < n {
            var end = n - distance
            while end > 0 {
                let slice = max(0, end - self.sliceRows)..<end
                let shifted = slice.lowerBound + distance..<slice.upperBound + distance
                let (own, before) = (heads.slice(shifted), heads.slice(slice))
                let lower = carried.map { $0.slice(slice) }
                let products = try await engine.multiply(
                    .concatenate(Array(repeating: own, count: carried.count + 1)),
                    .concatenate(zip(carried, lower).map { $0.slice(shifted) - $1 } + [before]))
                let length = slice.count
                for index in carried.indices {
                    carried[index].replace(
                        shifted, with: lower[index] + products.slice(index * length..<(index + 1) * length))
                }
                heads.replace(
                    shifted, with: own + before - products.slice(carried.count * length..<(carried.count + 1) * length))
                end = slice.lowerBound
            }
            distance *= 2
        }
        let matched = try await engine.multiply(carried[0], validity - keptOne)

        var joined = columns
        for (position, column) in manyAttributes.enumerated() {
            joined[column.target] = sorted.payload[2 + oneAttributes.count + position]
        }
        for (position, column) in oneAttributes.enumerated() { joined[column.target] = carried[1 + position] }
        return Joined(
            columns: joined, valid: matched, oneRepeats: runs.oneRepeats,
            manyRepeats: manyTable.columns[join.manyKey].unique ? runs.manyRepeats : nil)
    }

    /// A slice of adjacent pairs of the sorted rows at a time: whether a pair's keys are equal, and from it the heads
    /// of the runs of equal keys (1 where a run starts), the repeats of a key among "one" rows and among "many" rows
    /// (adjacent, equal keys, both of that side: (1 − a)(1 − b) = 1 − a − b + ab), and which rows are kept "one" rows.
    private func runs(_ engine: inout E, words: [Share], one: Share, validity: Share, bits: Int) async throws
        -> (heads: Share, keptOne: Share, oneRepeats: Share, manyRepeats: Share)
    {
        let n = one.count
        var heads = [engine.constant(1, count: 1)]
        var kept: [Share] = []
        var (oneRepeats, manyRepeats) = (Share.zeros(1), Share.zeros(1))
        for start in stride(from: 0, to: n, by: self.sliceRows) {
            let rows = start..<min(start + self.sliceRows, n)
            let pairs = start..<min(start + self.sliceRows, n - 1)  // pair i: rows i and i + 1
            let (later, earlier) = (one.slice(pairs.lowerBound + 1..<pairs.upperBound + 1), one.slice(pairs))
            let products = try await engine.multiply(
                .concatenate([later, one.slice(rows)]), .concatenate([earlier, validity.slice(rows)]))
            kept.append(products.slice(pairs.count..<pairs.count + rows.count))
            guard !pairs.isEmpty else { continue }
            let same = try await self.adjacentEqual(&engine, words: words, pairs: pairs, bits: bits)
            let bothOne = products.slice(0..<pairs.count)
            let bothMany = engine.adding(bothOne - later - earlier, constant: 1)
            let repeats = try await engine.multiply(.concatenate([same, same]), .concatenate([bothOne, bothMany]))
            oneRepeats = oneRepeats + repeats.slice(0..<pairs.count).total()
            manyRepeats = manyRepeats + repeats.slice(pairs.count..<2 * pairs.count).total()
            heads.append(engine.not(same))
        }
        return (.concatenate(heads), .concatenate(kept), oneRepeats, manyRepeats)
    }

    /// How many adjacent rows share a key once the rows are sorted by it: 0 exactly when the key is unique.
    func repeatedKeys(_ engine: inout E, words: [Share], bits: Int) async throws -> Share {
        guard let rows = words.first?.count, rows > 1 else { return .zeros(1) }
        let sorted = try await self.sortedByKey(&engine, words: words, bits: bits, payload: [])
        return try await self.adjacentEqual(&engine, words: sorted.words, bits: bits).total()
    }

    /// Rows in the order of their keys' words (most significant first), equal keys in their original order: one
    /// stable sort per word, the least significant first. The columns are taken and handed on to each sort whole,
    /// so that it can let them go as it moves them.
    private func sortedByKey(
        _ engine: inout E, words: consuming [Share], bits: Int, payload: consuming [Share]
    ) async throws -> (words: [Share], payload: [Share]) {
        let count = words.count
        for word in (0..<count).reversed() {
            let others = (0..<count).filter { $0 != word }
            let key = words[word]
            let rest = others.map { words[$0] } + payload
            (words, payload) = ([], [])
            let sorted = try await engine.sort(key: consume key, payload: consume rest, keyBits: bits)
            words = [Share](repeating: .zeros(0), count: count)
            words[word] = sorted.key
            for (position, other) in others.enumerated() { words[other] = sorted.payload[position] }
            payload = Array(sorted.payload.dropFirst(others.count))
        }
        return (words, payload)
    }

    /// 1 where row i + 1 has the same key as row i (every word equal), for i in 0..<rows − 1, a slice of rows at a
    /// time.
    private func adjacentEqual(_ engine: inout E, words: [Share], bits: Int) async throws -> Share {
        let pairs = words[0].count - 1
        var parts: [Share] = []
        for start in stride(from: 0, to: pairs, by: self.sliceRows) {
            parts.append(
                try await self.adjacentEqual(
                    &engine, words: words, pairs: start..<min(start + self.sliceRows, pairs), bits: bits))
        }
        return .concatenate(parts)
    }

    /// 1 where row i + 1 has the same key as row i, for i in `pairs`.
    private func adjacentEqual(_ engine: inout E, words: [Share], pairs: Range<Int>, bits: Int) async throws
        -> Share
    {
        let length = pairs.count
        let equal = try await engine.equal(
            .concatenate(words.map { $0.slice(pairs.lowerBound + 1..<pairs.upperBound + 1) }),
            .concatenate(words.map { $0.slice(pairs) }), bits: bits)
        var same = equal.slice(0..<length)
        for word in 1..<words.count {
            same = try await engine.multiply(same, equal.slice(word * length..<(word + 1) * length))
        }
        return same
    }
}

extension QueryPlan {
    /// The stored columns of `table` (one side of the join, whose columns start at `offset` among the joined
    /// table's) that the joined rows carry — every value and presence bit, not the keys — and where they go.
    func carried(from table: ComputationTaskSpecification.Table, offset: Int) -> [(source: Int, target: Int)] {
        table.columns.indices.filter { table.columns[$0].type != .key }.map { ($0, offset + $0) }
            + table.columns.indices.compactMap { column in
                table.presence(of: column).map { ($0, self.table.presence(of: offset + column)!) }
            }
    }
}
