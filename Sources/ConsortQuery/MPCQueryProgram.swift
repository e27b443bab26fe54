import ConsortMPC
import ConsortSpec

/// Rows a whole-column run batches at once where rows are independent, unless set otherwise: at 2^20 a batch's
/// temporaries are tens of MiB, and its rounds are few beside the sort's.
package let defaultSliceRows = 1 << 20

/// One computing party's run of a plan under MPC on any engine: whole columns per round, group membership by one-hot
/// indicators (never revealed), and only the declared outputs (plus the facts listed in the plan's leakage notes)
/// opened. Bit widths come from the plan's value domain, so the same program runs on every engine.
package struct MPCQueryProgram<E: MPCEngine>: Sendable {
    package typealias Share = E.Share
    let plan: QueryPlan
    /// The rows of each input, in the plan's order.
    let inputRows: [Int]
    /// The rows the query reads: the input's, or for a join both inputs' (rows without a partner are masked out).
    let rows: Int
    /// The most rows a whole-column run handles in one batch where rows are independent — the data model's
    /// comparisons, the join's scan, the groups of sums — so that its temporaries stay a few columns this long.
    package var sliceRows = defaultSliceRows

    package init(plan: QueryPlan, rows: [Int]) {
        self.plan = plan
        self.inputRows = rows
        self.rows = rows.reduce(0, +)
    }

    package init(plan: QueryPlan, rows: Int) { self.init(plan: plan, rows: [rows]) }

    /// For each bounded column of each input, whether a row's stored value v lies outside [low, high], whatever
    /// element of the ring an input party put there: per column a share positive exactly when one of its rows has
    /// v − low outside [0, high − low] (`MPCEngine.anyOutside`), which adds up over chunks of rows; only whether each
    /// is positive is opened.
    func outsideCounts(_ engine: inout E, inputs: [[Share]]) async throws -> Share {
        var shifted: [Share] = []
        var widths: [Int64] = []
        var spans: [Range<Int>] = []
        for (input, columns) in zip(self.plan.inputs, inputs) {
            let rows = columns.first?.count ?? 0
            for bound in input.dataModel {
                let start = spans.last?.upperBound ?? 0
                spans.append(start..<start + rows)
                shifted.append(columns[bound.column] - engine.constant(bound.low, count: rows))
                widths.append(bound.high - bound.low)
            }
        }
        guard !spans.isEmpty else { return .zeros(0) }
        return try await engine.anyOutside(
            .concatenate(shifted), widths: widths, spans: spans, bits: self.plan.domain.comparisonBits)
    }

    /// `outsideCounts(_:inputs:)` a slice of rows of every input at a time (the counts add up), at most `sliceRows`
    /// differences per slice, so that its comparisons never span whole columns.
    func slicedOutsideCounts(_ engine: inout E, inputs: [[Share]]) async throws -> Share {
        let bounded = self.plan.inputs.reduce(0) { $0 + $1.dataModel.count }
        let sliceRows = max(1, self.sliceRows / max(1, 2 * bounded))
        let longest = inputs.map { $0.first?.count ?? 0 }.max() ?? 0
        guard longest > sliceRows else { return try await self.outsideCounts(&engine, inputs: inputs) }
        var total: Share? = nil
        for start in stride(from: 0, to: longest, by: sliceRows) {
            let slices = inputs.map { columns in
                let rows = columns.first?.count ?? 0
                let range = min(start, rows)..<min(start + sliceRows, rows)
                return columns.map { $0.slice(range) }
            }
            let counts = try await self.outsideCounts(&engine, inputs: slices)
            total = total.map { $0 + counts } ?? counts
        }
        return total!
    }

    /// 1 for the rows every rule keeps: the product of the rules' 0/1 values (the first as it is, not times 1).
    static func kept(_ engine: inout E, evaluator: inout Evaluator<E>, rules: [PlanExpression], rows: Int)
        async throws -> Share
    {
        var kept: Share? = nil
        for rule in rules {
            let passes = try await evaluator.evaluate(rule, &engine)
            if let previous = kept {
                kept = try await engine.multiply(previous, passes)
            } else {
                kept = passes
            }
        }
        return kept ?? engine.constant(1, count: rows)
    }

    /// Opens, for each shared count (of rows, at most 2^bitsOfRows), only whether it is positive.
    func anyPositive(_ engine: inout E, _ counts: Share) async throws -> [Bool] {
        guard counts.count > 0 else { return [] }
        let positive = try await engine.lessThan(.zeros(counts.count), counts, bits: self.bitsOfRows + 2)
        return try await engine.open(positive).map { $0 == 1 }
    }

    /// Bits that hold any count of rows this run can see.
    var bitsOfRows: Int { Self.bits(UInt64(max(self.plan.table.maxRows, self.rows))) }

    /// Per group: n·Σxy − ΣxΣy, n·Σx² − (Σx)², n·Σy² − (Σy)², and the shifted sums, of one two-argument aggregate.
    struct PairMoments {
        var c: Share
        var u: Share
        var v: Share
        var sumX: Share
        var sumY: Share
    }

    /// What the finals need of a set of rows: per group its count, per aggregate that skips NULLs its own counts, and
    /// the per-group sums (and sums of squares) of every SUM, AVG, VAR and STDDEV argument, at `sumIndex` /
    /// `squareIndex`. Totals of disjoint rows add up.
    struct RowTotals {
        var counts: Share
        var ownCounts: [Int: Share]
        var sums: Share
        var sumIndex: [Int: Int]
        var squareIndex: [Int: Int]

        /// The counts aggregate `a` divides by.
        func count(_ a: Int) -> Share { self.ownCounts[a] ?? self.counts }

        static func + (lhs: RowTotals, rhs: RowTotals) -> RowTotals {
            var sum = lhs
            sum.counts = lhs.counts + rhs.counts
            sum.ownCounts = lhs.ownCounts.merging(rhs.ownCounts, uniquingKeysWith: +)
            sum.sums = lhs.sums + rhs.sums
            return sum
        }
    }

    /// The groups of some rows: their totals, and what the aggregates over whole columns read.
    struct Grouped {
        var totals: RowTotals
        var member: Memberships<Share>
        var arguments: [Int: Share]
        var groups: Int
    }

    package func run(_ engine: inout E, columns: [Share]) async throws -> PartyResult<Share> {
        try await self.run(&engine, inputs: [columns])
    }

    /// Runs the plan on this party's shares of each input's stored columns, in the plan's order of inputs. The
    /// inputs are taken (`consuming`): a join lets them go once both tables' rows are in its sort's columns.
    package func run(_ engine: inout E, inputs: consuming [[Share]]) async throws -> PartyResult<Share> {
        // Uploaded shares are checked for consistency before anything is computed from them.
        try await engine.verifyInputs(inputs.flatMap { $0 })
        // The data model, the quality rules that abort, the unique keys: only whether any row fails each is opened.
        // The data model first, so that nothing (not even the join's sort) runs on values outside it.
        var abortFailures = try await self.anyPositive(
            &engine, try await self.slicedOutsideCounts(&engine, inputs: inputs))
        if abortFailures.contains(true) { return Self.aborted(abortFailures) }
        // How many rows fail each aborting rule, then how many repeat each unique key: compared with 0 in one batch.
        var failing: [Share] = []
        var evaluators = zip(inputs, self.inputRows).map { Evaluator<E>(columns: $0, rows: $1) }
        for index in self.plan.inputs.indices {
            for (_, rule) in self.plan.inputs[index].aborts {
                let passing = try await evaluators[index].evaluate(rule, &engine).total()
                failing.append(engine.constant(Int64(self.inputRows[index]), count: 1) - passing)
            }
        }
        var valid: [Share] = []
        for index in self.plan.inputs.indices {
            valid.append(
                try await Self.kept(
                    &engine, evaluator: &evaluators[index], rules: self.plan.inputs[index].exclusions,
                    rows: self.inputRows[index]))
        }
        var cells: [Share] = []
        for index in self.plan.excluding {
            cells.append(engine.constant(Int64(self.inputRows[index]), count: 1) - valid[index].total())
        }
        // The join's sort finds the repeats of its keys; other unique keys get a sort of their own, first, while
        // the inputs are still held.
        let join = self.plan.join
        func joinSorts(_ index: Int, _ key: Int) -> Bool {
            guard let join else { return false }
            return (index == join.one && key == join.oneKey) || (index == join.many && key == join.manyKey)
        }
        var ownRepeats: [[Int]: Share] = [:]
        for (index, input) in self.plan.inputs.enumerated() {
            for key in input.uniqueKeys where !joinSorts(index, key) {
                ownRepeats[[index, key]] = try await self.repeatedKeys(
                    &engine, words: input.table.keyWords(of: key).map { inputs[index][$0] },
                    bits: input.table.keyLayout.wordBits)
            }
        }
        var joined: Joined? = nil
        if let join {
            evaluators = []
            joined = try await self.joined(&engine, join, inputs: &inputs, valid: &valid)
            MemoryTuning.releaseFreeMemory()
        }
        for (index, input) in self.plan.inputs.enumerated() {
            for key in input.uniqueKeys {
                if let joined, index == join?.one, key == join?.oneKey {
                    failing.append(joined.oneRepeats)
                } else if let joined, index == join?.many, key == join?.manyKey {
                    // A unique key on the "many" side too: the join's sort counted its repeats.
                    failing.append(joined.manyRepeats!)
                } else {
                    failing.append(ownRepeats[[index, key]]!)
                }
            }
        }
        abortFailures += try await self.anyPositive(&engine, .concatenate(failing))
        if abortFailures.contains(true) { return Self.aborted(abortFailures) }
        let columns = joined?.columns ?? inputs[0]
        let mask = joined?.valid ?? valid[0]
        // The group totals of disjoint rows add up: WHERE and the groups a slice of rows at a time (a row has an
        // indicator per group).
        let groupSlice = max(1, self.sliceRows / max(1, self.plan.groupCount))
        if Self.aggregatesAddUp(self.plan), self.rows > groupSlice {
            let read = self.plan.readColumns
            var totals: RowTotals? = nil
            var groups = 1
            for start in stride(from: 0, to: self.rows, by: groupSlice) {
                let range = start..<min(start + groupSlice, self.rows)
                let unread = Share.zeros(range.count)
                var part = Evaluator<E>(
                    columns: columns.indices.map { read.contains($0) ? columns[$0].slice(range) : unread },
                    rows: range.count)
                let grouped = try await self.grouped(
                    &engine, evaluator: &part, kept: mask.slice(range), rows: range.count)
                totals = totals.map { $0 + grouped.totals } ?? grouped.totals
                groups = grouped.groups
            }
            return try await self.release(
                &engine, abortFailures: abortFailures, cells: cells, totals: totals!, groups: groups, minima: [:],
                percentiles: [:], pairMoments: [:])
        }
        var evaluator = joined == nil ? evaluators[0] : Evaluator<E>(columns: columns, rows: self.rows)
        let grouped = try await self.grouped(&engine, evaluator: &evaluator, kept: mask, rows: self.rows)
        let (groups, arguments, member) = (grouped.groups, grouped.arguments, grouped.member)
        let minima = try await self.extremes(&engine, arguments: arguments, member: member, groups: groups)
        let percentiles = try await self.percentiles(
            &engine, arguments: arguments, member: member, groups: groups)
        let pairMoments = try await self.pairMoments(
            &engine, evaluator: &evaluator, arguments: arguments, member: member, groups: groups)
        return try await self.release(
            &engine, abortFailures: abortFailures, cells: cells, totals: grouped.totals, groups: groups,
            minima: minima, percentiles: percentiles, pairMoments: pairMoments)
    }

    /// WHERE on the rows `kept` marks, then their groups (`grouped(_:evaluator:mask:rows:)`).
    func grouped(_ engine: inout E, evaluator: inout Evaluator<E>, kept: Share, rows: Int) async throws -> Grouped {
        var mask = kept
        if let predicate = self.plan.predicate {
            mask = try await engine.multiply(mask, try await evaluator.evaluate(predicate, &engine))
        }
        return try await self.grouped(&engine, evaluator: &evaluator, mask: mask, rows: rows)
    }

    /// The groups of the rows `evaluator` reads where `mask` is 1 (indicators never opened), and what the finals need
    /// of them: counts, and sums (and sums of squares) of every SUM, AVG, VAR and STDDEV argument.
    func grouped(_ engine: inout E, evaluator: inout Evaluator<E>, mask: Share, rows: Int) async throws -> Grouped {
        // Group indicators, key by key: indicator(g·K + k) = indicator(g) · [key = k].
        var indicators = mask
        var groups = 1
        for key in self.plan.groups {
            let domainSize = key.labels.count
            let index = try await evaluator.evaluate(key.index, &engine)
            if groups == 1 {
                // mask · [key = k] = [key + K·(1 − mask) = k]: a row outside the mask is moved to K…2K − 1, which no
                // k matches, so the first key takes no product at all (the mask is 0/1, the key one of 0…K − 1).
                // The key always takes one of its values, so the last value's rows are the mask's rows no other
                // value took: one comparison fewer.
                let masked = engine.adding(
                    index - indicators.scaled(by: Int64(domainSize)), .repeating(Int64(domainSize), count: rows))
                let compared = domainSize - 1
                let oneHot =
                    compared == 0
                    ? Share.zeros(0)
                    : try await engine.equal(
                        .concatenate(Array(repeating: masked, count: compared)),
                        public: .blocks(.indices(compared), length: rows),
                        bits: Self.bits(UInt64(2 * domainSize - 1)))
                let last = (0..<compared).reduce(indicators) { $0 - oneHot.slice($1 * rows..<($1 + 1) * rows) }
                indicators = .concatenate([oneHot, last])
                groups = domainSize
                continue
            }
            let repeated = Share.concatenate(Array(repeating: index, count: domainSize))
            let oneHot = try await engine.equal(
                repeated, public: .blocks(.indices(domainSize), length: rows),
                bits: Self.bits(UInt64(domainSize)) + 1)
            let left = Share.concatenate(
                (0..<groups).flatMap { g in
                    Array(repeating: indicators.slice(g * rows..<(g + 1) * rows), count: domainSize)
                })
            let right = Share.concatenate(Array(repeating: oneHot, count: groups))
            indicators = try await engine.multiply(left, right)
            groups *= domainSize
        }
        let membership = Membership(indicators: indicators, rows: rows, groups: groups)
        let counts = membership.counts
        // An aggregate whose argument may be NULL reads only the group's rows where it is not: its own indicators.
        // Aggregates of the same value (AVG(x) and STDDEV(x)) share them.
        var memberships: [Int: Membership<Share>] = [:]
        var distinct: [String: [Int]] = [:]
        for (a, aggregate) in self.plan.aggregates.enumerated() {
            if let presence = aggregate.presence { distinct[String(describing: presence), default: []].append(a) }
        }
        let sharing = distinct.values.sorted { $0[0] < $1[0] }
        if !sharing.isEmpty {
            var presences: [Share] = []
            for aggregates in sharing {
                presences.append(try await evaluator.evaluate(self.plan.aggregates[aggregates[0]].presence!, &engine))
            }
            let products = try await engine.multiply(
                .concatenate(sharing.map { _ in indicators }),
                .concatenate(presences.map { Share.concatenate(Array(repeating: $0, count: groups)) }))
            for (position, aggregates) in sharing.enumerated() {
                let own = Membership(
                    indicators: products.slice(position * groups * rows..<(position + 1) * groups * rows), rows: rows,
                    groups: groups)
                for a in aggregates { memberships[a] = own }
            }
        }
        let member = Memberships(all: membership, own: memberships)

        // Per-aggregate sums (and sums of squares) for every group in one round. Aggregates of the same argument
        // over the same rows (AVG(x) and STDDEV(x)) share their sums and squares: each is one inner product of a
        // whole column per group.
        var arguments: [Int: Share] = [:]
        var squares: [String: Share] = [:]
        func key(_ a: Int) -> String {
            let aggregate = self.plan.aggregates[a]
            return "\(String(describing: aggregate.argument)) over \(String(describing: aggregate.presence))"
        }
        for (a, aggregate) in self.plan.aggregates.enumerated() {
            guard let argument = aggregate.argument else { continue }
            arguments[a] = try await evaluator.evaluate(argument, &engine)
            if aggregate.kind.isSecondMoment, squares[key(a)] == nil {
                squares[key(a)] = try await engine.multiply(arguments[a]!, arguments[a]!)
            }
        }
        // One table of inner products per membership (the groups', or an aggregate's own where its argument may be
        // NULL): its vectors — arguments and squares — times its indicators (`MPCEngine.innerProducts(rows:columns:)`).
        var tables: [(member: Membership<Share>, vectors: [Share])] = []
        var tableOf: [String: Int] = [:]
        func place(_ vector: Share, of a: Int) -> (table: Int, vector: Int) {
            let presence = String(describing: self.plan.aggregates[a].presence)
            if tableOf[presence] == nil {
                tableOf[presence] = tables.count
                tables.append((member(a), []))
            }
            let t = tableOf[presence]!
            tables[t].vectors.append(vector)
            return (t, tables[t].vectors.count - 1)
        }
        var sumPlace: [Int: (table: Int, vector: Int)] = [:], squarePlace: [Int: (table: Int, vector: Int)] = [:]
        var sumAt: [String: (table: Int, vector: Int)] = [:], squareAt: [String: (table: Int, vector: Int)] = [:]
        for a in arguments.keys.sorted()
        where [.sum, .avg].contains(self.plan.aggregates[a].kind) || self.plan.aggregates[a].kind.isSecondMoment {
            if sumAt[key(a)] == nil { sumAt[key(a)] = place(arguments[a]!, of: a) }
            sumPlace[a] = sumAt[key(a)]
            guard self.plan.aggregates[a].kind.isSecondMoment, let square = squares[key(a)] else { continue }
            if squareAt[key(a)] == nil { squareAt[key(a)] = place(square, of: a) }
            squarePlace[a] = squareAt[key(a)]
        }
        var results: [Share] = []
        var offsets: [Int] = []
        for table in tables {
            offsets.append(results.reduce(0) { $0 + $1.count })
            results.append(
                try await engine.innerProducts(
                    rows: table.vectors, columns: (0..<groups).map { table.member.indicator($0) }))
        }
        let sums = results.isEmpty ? Share.zeros(0) : Share.concatenate(results)
        let sumIndex = sumPlace.mapValues { offsets[$0.table] + $0.vector * groups }
        let squareIndex = squarePlace.mapValues { offsets[$0.table] + $0.vector * groups }
        return Grouped(
            totals: RowTotals(
                counts: counts, ownCounts: memberships.mapValues(\.counts), sums: sums, sumIndex: sumIndex,
                squareIndex: squareIndex),
            member: member, arguments: arguments, groups: groups)
    }

    /// Opens the facts the plan declares (suppression, PostgreSQL's NULLs) and computes the output cells from the
    /// groups' totals and the aggregates that need whole columns (MIN/MAX, percentiles, two-argument aggregates).
    func release(
        _ engine: inout E, abortFailures: [Bool], cells: [Share], totals: RowTotals, groups: Int,
        minima: [Int: Share], percentiles: [Int: Share], pairMoments: [Int: PairMoments]
    ) async throws -> PartyResult<Share> {
        var cells = cells
        let (counts, sums, sumIndex, squareIndex) = (totals.counts, totals.sums, totals.sumIndex, totals.squareIndex)
        let (bitsOfRows, domain) = (self.bitsOfRows, self.plan.domain)
        // Suppression and PostgreSQL's NULLs: opened (declared leakage), so finals run only where they are defined.
        let minimum = Int64(max(self.plan.minGroupSize, 0))
        let thresholds =
            [Int64](repeating: minimum, count: groups) + [Int64](repeating: 1, count: groups)
            + [Int64](repeating: 2, count: groups)
        // Per aggregate that skips NULLs, also whether its group has no value (or one) that is not NULL.
        let own = totals.ownCounts.keys.sorted()
        let below = try await engine.open(
            try await engine.lessThan(
                .concatenate(
                    [counts, counts, counts] + own.flatMap { [totals.ownCounts[$0]!, totals.ownCounts[$0]!] }),
                public: .list(
                    thresholds
                        + own.flatMap { _ in
                            [Int64](repeating: 1, count: groups) + [Int64](repeating: 2, count: groups)
                        }),
                bits: bitsOfRows + 2))
        var facts = PublicFacts(
            abortFailures: abortFailures, suppressed: below[0..<groups].map { $0 == 1 },
            empty: below[groups..<2 * groups].map { $0 == 1 }, single: below[2 * groups..<3 * groups].map { $0 == 1 })
        for (position, a) in own.enumerated() {
            let start = (3 + 2 * position) * groups
            facts.emptyArgument[a] = below[start..<start + groups].map { $0 == 1 }
            facts.singleArgument[a] = below[start + groups..<start + 2 * groups].map { $0 == 1 }
        }
        let pairIndices = pairMoments.keys.sorted()
        if !pairIndices.isEmpty {
            let spreads = Share.concatenate(pairIndices.flatMap { [pairMoments[$0]!.u, pairMoments[$0]!.v] })
            let zero = try await engine.open(
                try await engine.equal(spreads, public: .repeating(0, count: spreads.count), bits: domain.valueBits))
            for (position, a) in pairIndices.enumerated() {
                facts.constantX[a] = zero[2 * position * groups..<(2 * position + 1) * groups].map { $0 == 1 }
                facts.constantY[a] = zero[(2 * position + 1) * groups..<(2 * position + 2) * groups].map { $0 == 1 }
            }
        }

        let layout = OutputLayout(plan: self.plan, facts: facts, groups: groups)
        var finals = Finalizer<E>(plan: self.plan, rowsBits: bitsOfRows)
        for item in layout.items {
            let g = item.group
            let aggregate = self.plan.aggregates[item.aggregate]
            switch aggregate.kind {
            case .count: finals.plain(totals.count(item.aggregate).slice(g..<g + 1))
            case .sum: finals.plain(sums.slice(sumIndex[item.aggregate]! + g..<sumIndex[item.aggregate]! + g + 1))
            case .min, .max: finals.plain(minima[item.aggregate]!.slice(g..<g + 1), negate: aggregate.kind == .max)
            case .avg:
                finals.average(
                    sum: sums.slice(sumIndex[item.aggregate]! + g..<sumIndex[item.aggregate]! + g + 1),
                    count: totals.count(item.aggregate).slice(g..<g + 1), aggregate: aggregate)
            case .percentileCont, .percentileDisc: finals.plain(percentiles[item.aggregate]!.slice(g..<g + 1))
            case .covarPop, .covarSamp, .corr, .regrSlope, .regrIntercept, .regrR2:
                guard item.width > 0 else { continue }
                let m = pairMoments[item.aggregate]!
                finals.pair(
                    aggregate, count: totals.count(item.aggregate).slice(g..<g + 1),
                    moments: PairMoments(
                        c: m.c.slice(g..<g + 1), u: m.u.slice(g..<g + 1), v: m.v.slice(g..<g + 1),
                        sumX: m.sumX.slice(g..<g + 1), sumY: m.sumY.slice(g..<g + 1)))
            case .varPop, .varSamp, .stddevPop, .stddevSamp:
                finals.secondMoment(
                    sum: sums.slice(sumIndex[item.aggregate]! + g..<sumIndex[item.aggregate]! + g + 1),
                    squares: sums.slice(squareIndex[item.aggregate]! + g..<squareIndex[item.aggregate]! + g + 1),
                    count: totals.count(item.aggregate).slice(g..<g + 1), aggregate: aggregate)
            }
        }
        cells.append(try await finals.compute(&engine))
        return PartyResult(facts: facts, cells: .concatenate(cells))
    }

    /// Per group, MIN of each MIN argument and −MAX (as a MIN of −x) of each MAX argument: rows outside the group
    /// become the type's upper bound, then a tournament of comparisons over all groups and aggregates at once.
    private func extremes(
        _ engine: inout E,
        arguments: [Int: Share],
        member: Memberships<Share>,
        groups: Int
    ) async throws -> [Int: Share] {
        let chosen = arguments.keys.sorted().filter { [.min, .max].contains(self.plan.aggregates[$0].kind) }
        guard !chosen.isEmpty, self.rows > 0 else { return [:] }
        var width = 1
        while width < self.rows { width *= 2 }
        var lefts: [Share] = [], rights: [Share] = [], sentinels: [Int64] = []
        var bits = 2
        for a in chosen {
            let aggregate = self.plan.aggregates[a]
            let isMax = aggregate.kind == .max
            let values = isMax ? -arguments[a]! : arguments[a]!
            let sentinel = isMax ? -aggregate.low : aggregate.high
            bits = max(bits, Self.bits(UInt64(aggregate.high - aggregate.low)) + 2)
            for g in 0..<groups {
                lefts.append(member(a).indicator(g))
                rights.append(engine.adding(values, constant: -sentinel))
                sentinels.append(sentinel)
            }
        }
        // y = sentinel + [in group]·(x − sentinel), then padded with the sentinel to a power of two per segment.
        let selected = try await engine.multiply(.concatenate(lefts), .concatenate(rights))
        var segments: [Share] = []
        for (s, sentinel) in sentinels.enumerated() {
            let part = engine.adding(selected.slice(s * self.rows..<(s + 1) * self.rows), constant: sentinel)
            segments.append(.concatenate([part, engine.constant(sentinel, count: width - self.rows)]))
        }
        // Every segment has the same even length, so pairing neighbours within segments pairs neighbours overall.
        var current = Share.concatenate(segments)
        var length = width
        while length > 1 {
            let a = current.strided(from: 0, by: 2)
            let b = current.strided(from: 1, by: 2)
            let less = try await engine.lessThan(a, b, bits: bits)
            current = b + (try await engine.multiply(less, a - b))
            length /= 2
        }
        var result: [Int: Share] = [:]
        for (position, a) in chosen.enumerated() {
            result[a] = current.slice(position * groups..<(position + 1) * groups)
        }
        return result
    }

    /// Per group, the percentile of each PERCENTILE/MEDIAN argument (shifted by its low bound): DISC gives the value,
    /// CONT the value × the fraction's denominator (exact). Rows are sorted once per argument by (group, value) —
    /// rows outside every group last — so each group is a run starting at the sum of the earlier groups' counts;
    /// the wanted positions are selected by equality with every position (nothing about the order is opened).
    private func percentiles(
        _ engine: inout E,
        arguments: [Int: Share],
        member: Memberships<Share>,
        groups: Int
    ) async throws -> [Int: Share] {
        let chosen = arguments.keys.sorted().filter { self.plan.aggregates[$0].kind.isPercentile }
        guard !chosen.isEmpty, self.rows > 0 else { return [:] }
        let rows = self.rows
        let exactBits = self.plan.domain.exactBits
        let positionBits = Self.bits(UInt64(rows)) + 2
        var result: [Int: Share] = [:]
        for a in chosen {
            let counts = member(a).counts
            // Group number of each row: g for members of group g, `groups` for rows outside every group.
            var number = engine.constant(Int64(groups), count: rows)
            for g in 0..<groups { number = number - member(a).indicator(g).scaled(by: Int64(groups - g)) }
            var starts: [Share] = [.zeros(1)]
            for g in 1..<max(groups, 1) { starts.append(starts[g - 1] + counts.slice(g - 1..<g)) }
            let start = Share.concatenate(starts)
            let aggregate = self.plan.aggregates[a]
            let valueBits = Self.bits(UInt64(aggregate.high - aggregate.low))
            let key = number.scaled(by: Int64(1) << Int64(valueBits)) + arguments[a]!
            let sorted = try await engine.sort(
                key: key, payload: [arguments[a]!], keyBits: Self.bits(UInt64(groups + 1)) + valueBits
            ).payload[0]
            let (numerator, denominator) = (aggregate.fraction.numerator, aggregate.fraction.denominator)
            let nMinusOne = engine.adding(counts, constant: -1)
            let offset: Share
            var remainder = Share.zeros(groups)
            if aggregate.kind == .percentileDisc {
                // k = ⌈q·n⌉ − 1 (0 for q = 0), as PostgreSQL picks the first value at or past fraction q.
                offset =
                    numerator == 0
                    ? .zeros(groups)
                    : engine.adding(
                        try await engine.divide(
                            engine.adding(counts.scaled(by: numerator), constant: denominator - 1),
                            byPublic: [Int64](repeating: denominator, count: groups),
                            bits: min(exactBits, positionBits + 31),
                            quotientBits: positionBits),
                        constant: -1)
            } else {
                // position q·(n − 1) = lower + remainder / denominator.
                let scaled = nMinusOne.scaled(by: numerator)
                offset = try await engine.divide(
                    scaled, byPublic: [Int64](repeating: denominator, count: groups),
                    bits: min(exactBits, positionBits + 31), quotientBits: positionBits)
                remainder = scaled - offset.scaled(by: denominator)
            }
            let position = start + offset
            // selector[g][i] = [i == position_g], for every group at once.
            let selector = try await engine.equal(
                position.repeatingElements(rows), public: .tiled(.indices(rows), times: groups),
                bits: positionBits)
            let above = Share.concatenate([sorted.slice(1..<rows), .zeros(1)])
            var pairs: [(Share, Share)] = []
            for g in 0..<groups { pairs.append((selector.slice(g * rows..<(g + 1) * rows), sorted)) }
            for g in 0..<groups { pairs.append((selector.slice(g * rows..<(g + 1) * rows), above)) }
            let picked = try await engine.innerProducts(pairs)
            let (low, high) = (picked.slice(0..<groups), picked.slice(groups..<2 * groups))
            if aggregate.kind == .percentileDisc {
                result[a] = low
            } else {
                result[a] = low.scaled(by: denominator) + (try await engine.multiply(remainder, high - low))
            }
        }
        return result
    }

    /// The exact per-group moments of every two-argument aggregate: row products in one round, all group sums in
    /// another, then C, Dx and Dy per group in a third.
    private func pairMoments(
        _ engine: inout E,
        evaluator: inout Evaluator<E>,
        arguments: [Int: Share],
        member: Memberships<Share>,
        groups: Int
    ) async throws -> [Int: PairMoments] {
        let chosen = arguments.keys.sorted().filter { self.plan.aggregates[$0].kind.isPair }
        guard !chosen.isEmpty else { return [:] }
        var xs: [Int: Share] = [:]
        for a in chosen { xs[a] = try await evaluator.evaluate(self.plan.aggregates[a].second!, &engine) }
        let products = try await engine.multiply(
            .concatenate(chosen.flatMap { [arguments[$0]!, xs[$0]!, arguments[$0]!] }),
            .concatenate(chosen.flatMap { [xs[$0]!, xs[$0]!, arguments[$0]!] }))
        let rows = self.rows
        var pairs: [(Share, Share)] = []
        for (position, a) in chosen.enumerated() {
            let columns =
                [xs[a]!, arguments[a]!]
                + (0..<3).map { products.slice((3 * position + $0) * rows..<(3 * position + $0 + 1) * rows) }
            for column in columns { for g in 0..<groups { pairs.append((member(a).indicator(g), column)) } }
        }
        let sums = try await engine.innerProducts(pairs)
        // Per aggregate, five blocks of `groups`: Σx, Σy, Σxy, Σx², Σy².
        func block(_ position: Int, _ k: Int) -> Share {
            sums.slice((5 * position + k) * groups..<(5 * position + k + 1) * groups)
        }
        var left: [Share] = [], right: [Share] = []
        for (position, a) in chosen.enumerated() {
            let counts = member(a).counts
            left += [counts, block(position, 0), counts, block(position, 0), counts, block(position, 1)]
            right += [
                block(position, 2), block(position, 1), block(position, 3), block(position, 0), block(position, 4),
                block(position, 1),
            ]
        }
        let terms = try await engine.multiply(.concatenate(left), .concatenate(right))
        func term(_ position: Int, _ k: Int) -> Share {
            terms.slice((6 * position + k) * groups..<(6 * position + k + 1) * groups)
        }
        var result: [Int: PairMoments] = [:]
        for (position, a) in chosen.enumerated() {
            result[a] = PairMoments(
                c: term(position, 0) - term(position, 1), u: term(position, 2) - term(position, 3),
                v: term(position, 4) - term(position, 5), sumX: block(position, 0), sumY: block(position, 1))
        }
        return result
    }

    static func bits(_ value: UInt64) -> Int { max(1, UInt64.bitWidth - value.leadingZeroBitCount) }

    /// The result of a run that stops at its checks: which failed, and no cells.
    static func aborted(_ failures: [Bool]) -> PartyResult<Share> {
        PartyResult(
            facts: PublicFacts(abortFailures: failures, suppressed: [], empty: [], single: []), cells: .zeros(0))
    }
}

/// What every party learns (declared leakage) and its shares of the output cells, laid out by `OutputLayout`.
package struct PartyResult<Share: SharedVector>: Sendable {
    package var facts: PublicFacts
    package var cells: Share

    package init(facts: PublicFacts, cells: Share) {
        self.facts = facts
        self.cells = cells
    }
}

/// The facts a run opens to every computing party and the output party (the plan's leakage notes).
package struct PublicFacts: Sendable, Equatable, Codable {
    var abortFailures: [Bool]
    var suppressed: [Bool]
    var empty: [Bool]
    var single: [Bool]
    /// Per two-argument aggregate: which groups have a constant X (Dx = 0) and a constant Y (Dy = 0) —
    /// PostgreSQL's NULLs (and REGR_R2's 1) depend on them.
    var constantX: [Int: [Bool]] = [:]
    var constantY: [Int: [Bool]] = [:]
    /// Per aggregate whose argument may be NULL: which groups have no value that is not NULL, and which one.
    var emptyArgument: [Int: [Bool]] = [:]
    var singleArgument: [Int: [Bool]] = [:]

    /// Whether aggregate `a` has nothing to aggregate in group `g` (PostgreSQL's NULL), or one value.
    func empty(_ a: Int, _ g: Int) -> Bool { self.emptyArgument[a]?[g] ?? self.empty[g] }
    func single(_ a: Int, _ g: Int) -> Bool { self.singleArgument[a]?[g] ?? self.single[g] }
}

/// Each aggregate's `Membership`: the groups' own, or its own where its argument may be NULL.
struct Memberships<Share: SharedVector> {
    var all: Membership<Share>
    var own: [Int: Membership<Share>]

    func callAsFunction(_ aggregate: Int) -> Membership<Share> { self.own[aggregate] ?? self.all }
}

/// The rows of each group an aggregate reads, as indicators (group after group), and their counts.
struct Membership<Share: SharedVector> {
    var indicators: Share
    var rows: Int
    var counts: Share

    init(indicators: Share, rows: Int, groups: Int) {
        self.indicators = indicators
        self.rows = rows
        self.counts = .concatenate((0..<groups).map { indicators.slice($0 * rows..<($0 + 1) * rows).total() })
    }

    func indicator(_ g: Int) -> Share { self.indicators.slice(g * self.rows..<(g + 1) * self.rows) }
}

/// Evaluates plan expressions on shared columns, one vectorised protocol call per node.
struct Evaluator<E: MPCEngine> {
    var columns: [E.Share]
    var rows: Int

    mutating func evaluate(_ expression: PlanExpression, _ engine: inout E) async throws -> E.Share {
        switch expression {
        case .column(let index): return self.columns[index]
        case .constant(let value): return engine.constant(value, count: self.rows)
        case .add(let l, let r): return try await self.evaluate(l, &engine) + (try await self.evaluate(r, &engine))
        case .subtract(let l, let r): return try await self.evaluate(l, &engine) - (try await self.evaluate(r, &engine))
        case .multiply(let l, let r):
            if case .constant(let c) = r { return try await self.evaluate(l, &engine).scaled(by: c) }
            if case .constant(let c) = l { return try await self.evaluate(r, &engine).scaled(by: c) }
            return try await engine.multiply(try await self.evaluate(l, &engine), try await self.evaluate(r, &engine))
        case .scale(let x, let factor): return try await self.evaluate(x, &engine).scaled(by: factor)
        case .less(let l, let r, let bits):
            return try await engine.lessThan(
                try await self.evaluate(l, &engine), try await self.evaluate(r, &engine), bits: bits)
        case .equal(let l, let r, let bits):
            return try await engine.equal(
                try await self.evaluate(l, &engine), try await self.evaluate(r, &engine), bits: bits)
        case .and(let l, let r):
            return try await engine.multiply(try await self.evaluate(l, &engine), try await self.evaluate(r, &engine))
        case .or(let l, let r):
            let (a, b) = (try await self.evaluate(l, &engine), try await self.evaluate(r, &engine))
            return a + b - (try await engine.multiply(a, b))
        case .not(let x): return engine.not(try await self.evaluate(x, &engine))
        case .select(let c, let t, let e):
            return try await engine.select(
                try await self.evaluate(c, &engine), try await self.evaluate(t, &engine),
                try await self.evaluate(e, &engine))
        }
    }
}
