import ConsortMPC
import ConsortSpec

/// One computing party's run of a plan under MPC: whole columns per round, group membership by one-hot indicators
/// (never revealed), and only the declared outputs (plus the facts listed in the plan's leakage notes) opened.
package struct MPCQueryProgram: Sendable {
    let plan: QueryPlan
    let rows: Int

    package init(plan: QueryPlan, rows: Int) {
        self.plan = plan
        self.rows = rows
    }

    /// What every party learns (declared leakage) and its shares of the output cells, laid out by `OutputLayout`.
    package struct PartyResult: Sendable {
        package var facts: PublicFacts
        package var cells: Replicated3.Share

        package init(facts: PublicFacts, cells: Replicated3.Share) {
            self.facts = facts
            self.cells = cells
        }
    }

    package struct PublicFacts: Sendable, Equatable, Codable {
        var abortFailures: [Bool]
        var suppressed: [Bool]
        var empty: [Bool]
        var single: [Bool]
        /// Per two-argument aggregate: which groups have a constant X (Dx = 0) and a constant Y (Dy = 0) —
        /// PostgreSQL's NULLs (and REGR_R2's 1) depend on them.
        var constantX: [Int: [Bool]] = [:]
        var constantY: [Int: [Bool]] = [:]
    }

    /// Per group: n·Σxy − ΣxΣy, n·Σx² − (Σx)², n·Σy² − (Σy)², and the shifted sums, of one two-argument aggregate.
    struct PairMoments {
        var c: Replicated3.Share
        var u: Replicated3.Share
        var v: Replicated3.Share
        var sumX: Replicated3.Share
        var sumY: Replicated3.Share
    }

    package func run(_ session: inout MPCSession, columns: [Replicated3.Share]) async throws -> PartyResult {
        var evaluator = Evaluator(columns: columns, rows: self.rows)
        let bitsOfRows = Self.bits(UInt64(max(self.plan.table.maxRows, self.rows)))
        // Quality rules that abort: open only whether any row fails.
        var abortFailures: [Bool] = []
        for (_, rule) in self.plan.aborts {
            let passing = try await evaluator.evaluate(rule, &session).total()
            let failing = Replicated3.Share.zeros(1).adding(constant: UInt64(self.rows), party: session.party) - passing
            let any = try await session.lessThan(.zeros(1), failing, bits: bitsOfRows + 2)
            abortFailures.append(try await session.open(any)[0] == 1)
        }
        if abortFailures.contains(true) {
            return PartyResult(facts: PublicFacts(abortFailures: abortFailures, suppressed: [], empty: [], single: []), cells: .zeros(0))
        }
        var valid = Replicated3.Share.zeros(self.rows).adding(constant: 1, party: session.party)
        for rule in self.plan.exclusions { valid = try await session.multiply(valid, try await evaluator.evaluate(rule, &session)) }
        var cells: [Replicated3.Share] = []
        if !self.plan.exclusions.isEmpty {
            cells.append(Replicated3.Share.zeros(1).adding(constant: UInt64(self.rows), party: session.party) - valid.total())
        }
        var mask = valid
        if let predicate = self.plan.predicate { mask = try await session.multiply(mask, try await evaluator.evaluate(predicate, &session)) }

        // Group indicators, key by key: indicator(g·K + k) = indicator(g) · [key = k].
        var indicators = mask
        var groups = 1
        for key in self.plan.groups {
            let domain = key.labels.count
            let index = try await evaluator.evaluate(key.index, &session)
            let repeated = Replicated3.Share.concatenate(Array(repeating: index, count: domain))
            let constants = (0..<domain).flatMap { [UInt64](repeating: UInt64($0), count: self.rows) }
            let oneHot = try await session.equal(repeated, public: constants, bits: Self.bits(UInt64(domain)) + 1)
            let left = Replicated3.Share.concatenate((0..<groups).flatMap { g in Array(repeating: indicators.slice(g * self.rows..<(g + 1) * self.rows), count: domain) })
            let right = Replicated3.Share.concatenate(Array(repeating: oneHot, count: groups))
            indicators = try await session.multiply(left, right)
            groups *= domain
        }
        let indicator = { (g: Int) in indicators.slice(g * self.rows..<(g + 1) * self.rows) }
        let counts = Replicated3.Share.concatenate((0..<groups).map { indicator($0).total() })

        // Per-aggregate sums (and sums of squares) for every group in one round.
        var arguments: [Int: Replicated3.Share] = [:]
        var squares: [Int: Replicated3.Share] = [:]
        for (a, aggregate) in self.plan.aggregates.enumerated() {
            guard let argument = aggregate.argument else { continue }
            arguments[a] = try await evaluator.evaluate(argument, &session)
            if aggregate.kind.isSecondMoment { squares[a] = try await session.multiply(arguments[a]!, arguments[a]!) }
        }
        var pairs: [(Replicated3.Share, Replicated3.Share)] = []
        var sumIndex: [Int: Int] = [:], squareIndex: [Int: Int] = [:]
        for a in arguments.keys.sorted() where [.sum, .avg].contains(self.plan.aggregates[a].kind) || self.plan.aggregates[a].kind.isSecondMoment {
            sumIndex[a] = pairs.count
            pairs += (0..<groups).map { (indicator($0), arguments[a]!) }
            if let square = squares[a] {
                squareIndex[a] = pairs.count
                pairs += (0..<groups).map { (indicator($0), square) }
            }
        }
        let sums = pairs.isEmpty ? Replicated3.Share.zeros(0) : try await session.innerProducts(pairs)
        let minima = try await self.extremes(&session, arguments: arguments, indicator: indicator, groups: groups)
        let percentiles = try await self.percentiles(&session, arguments: arguments, indicators: indicators, counts: counts, groups: groups)
        let pairMoments = try await self.pairMoments(&session, evaluator: &evaluator, arguments: arguments, indicator: indicator,
                                                     counts: counts, groups: groups)

        // Suppression and PostgreSQL's NULLs: opened (declared leakage), so finals run only where they are defined.
        let minimum = UInt64(max(self.plan.minGroupSize, 0))
        let thresholds = [UInt64](repeating: minimum, count: groups) + [UInt64](repeating: 1, count: groups) + [UInt64](repeating: 2, count: groups)
        let below = try await session.open(try await session.lessThan(.concatenate([counts, counts, counts]), public: thresholds, bits: bitsOfRows + 2))
        var facts = PublicFacts(abortFailures: abortFailures, suppressed: below[0..<groups].map { $0 == 1 },
                                empty: below[groups..<2 * groups].map { $0 == 1 }, single: below[2 * groups..<3 * groups].map { $0 == 1 })
        let pairIndices = pairMoments.keys.sorted()
        if !pairIndices.isEmpty {
            let spreads = Replicated3.Share.concatenate(pairIndices.flatMap { [pairMoments[$0]!.u, pairMoments[$0]!.v] })
            let zero = try await session.open(try await session.equal(spreads, public: [UInt64](repeating: 0, count: spreads.count), bits: 62))
            for (position, a) in pairIndices.enumerated() {
                facts.constantX[a] = zero[2 * position * groups..<(2 * position + 1) * groups].map { $0 == 1 }
                facts.constantY[a] = zero[(2 * position + 1) * groups..<(2 * position + 2) * groups].map { $0 == 1 }
            }
        }

        let layout = OutputLayout(plan: self.plan, facts: facts, groups: groups)
        var finals = Finalizer(plan: self.plan, rowsBits: bitsOfRows)
        for item in layout.items {
            let g = item.group
            let aggregate = self.plan.aggregates[item.aggregate]
            switch aggregate.kind {
            case .count: finals.plain(counts.slice(g..<g + 1))
            case .sum: finals.plain(sums.slice(sumIndex[item.aggregate]! + g..<sumIndex[item.aggregate]! + g + 1))
            case .min, .max: finals.plain(minima[item.aggregate]!.slice(g..<g + 1), negate: aggregate.kind == .max)
            case .avg: finals.average(sum: sums.slice(sumIndex[item.aggregate]! + g..<sumIndex[item.aggregate]! + g + 1), count: counts.slice(g..<g + 1), aggregate: aggregate)
            case .percentileCont, .percentileDisc: finals.plain(percentiles[item.aggregate]!.slice(g..<g + 1))
            case .covarPop, .covarSamp, .corr, .regrSlope, .regrIntercept, .regrR2:
                guard item.width > 0 else { continue }
                let m = pairMoments[item.aggregate]!
                finals.pair(aggregate, count: counts.slice(g..<g + 1), moments: PairMoments(
                    c: m.c.slice(g..<g + 1), u: m.u.slice(g..<g + 1), v: m.v.slice(g..<g + 1),
                    sumX: m.sumX.slice(g..<g + 1), sumY: m.sumY.slice(g..<g + 1)))
            case .varPop, .varSamp, .stddevPop, .stddevSamp:
                finals.secondMoment(sum: sums.slice(sumIndex[item.aggregate]! + g..<sumIndex[item.aggregate]! + g + 1),
                                    squares: sums.slice(squareIndex[item.aggregate]! + g..<squareIndex[item.aggregate]! + g + 1),
                                    count: counts.slice(g..<g + 1), aggregate: aggregate)
            }
        }
        cells.append(try await finals.compute(&session))
        return PartyResult(facts: facts, cells: .concatenate(cells))
    }

    /// Per group, MIN of each MIN argument and −MAX (as a MIN of −x) of each MAX argument: rows outside the group
    /// become the type's upper bound, then a tournament of comparisons over all groups and aggregates at once.
    private func extremes(
        _ session: inout MPCSession,
        arguments: [Int: Replicated3.Share],
        indicator: (Int) -> Replicated3.Share,
        groups: Int
    ) async throws -> [Int: Replicated3.Share] {
        let chosen = arguments.keys.sorted().filter { [.min, .max].contains(self.plan.aggregates[$0].kind) }
        guard !chosen.isEmpty, self.rows > 0 else { return [:] }
        var width = 1
        while width < self.rows { width *= 2 }
        var lefts: [Replicated3.Share] = [], rights: [Replicated3.Share] = [], sentinels: [UInt64] = []
        var bits = 2
        for a in chosen {
            let aggregate = self.plan.aggregates[a]
            let isMax = aggregate.kind == .max
            let values = isMax ? -arguments[a]! : arguments[a]!
            let sentinel = isMax ? UInt64(bitPattern: -aggregate.low) : UInt64(bitPattern: aggregate.high)
            bits = max(bits, Self.bits(UInt64(aggregate.high - aggregate.low)) + 2)
            for g in 0..<groups {
                lefts.append(indicator(g))
                rights.append(values.adding(constant: 0 &- sentinel, party: session.party))
                sentinels.append(sentinel)
            }
        }
        // y = sentinel + [in group]·(x − sentinel), then padded with the sentinel to a power of two per segment.
        let selected = try await session.multiply(.concatenate(lefts), .concatenate(rights))
        var segments: [Replicated3.Share] = []
        for (s, sentinel) in sentinels.enumerated() {
            let part = selected.slice(s * self.rows..<(s + 1) * self.rows).adding(constant: sentinel, party: session.party)
            let padding = Replicated3.Share.zeros(width - self.rows).adding(constant: sentinel, party: session.party)
            segments.append(.concatenate([part, padding]))
        }
        var current = Replicated3.Share.concatenate(segments)
        var length = width
        while length > 1 {
            let half = length / 2
            let evens = (0..<segments.count).flatMap { s in (0..<half).map { s * length + 2 * $0 } }
            let a = current.permuted(evens)
            let b = current.permuted(evens.map { $0 + 1 })
            let less = try await session.lessThan(a, b, bits: bits)
            current = b + (try await session.multiply(less, a - b))
            length = half
        }
        var result: [Int: Replicated3.Share] = [:]
        for (position, a) in chosen.enumerated() { result[a] = current.slice(position * groups..<(position + 1) * groups) }
        return result
    }

    /// Per group, the percentile of each PERCENTILE/MEDIAN argument (shifted by its low bound): DISC gives the value,
    /// CONT the value × the fraction's denominator (exact). Rows are sorted once per argument by (group, value) —
    /// rows outside every group last — so each group is a run starting at the sum of the earlier groups' counts;
    /// the wanted positions are selected by equality with every position (nothing about the order is opened).
    private func percentiles(
        _ session: inout MPCSession,
        arguments: [Int: Replicated3.Share],
        indicators: Replicated3.Share,
        counts: Replicated3.Share,
        groups: Int
    ) async throws -> [Int: Replicated3.Share] {
        let chosen = arguments.keys.sorted().filter { self.plan.aggregates[$0].kind.isPercentile }
        guard !chosen.isEmpty, self.rows > 0 else { return [:] }
        let rows = self.rows
        // Group number of each row: g for members of group g, `groups` for rows outside every group.
        var number = Replicated3.Share.zeros(rows).adding(constant: UInt64(groups), party: session.party)
        for g in 0..<groups { number = number - indicators.slice(g * rows..<(g + 1) * rows).scaled(by: UInt64(groups - g)) }
        var starts: [Replicated3.Share] = [.zeros(1)]
        for g in 1..<max(groups, 1) { starts.append(starts[g - 1] + counts.slice(g - 1..<g)) }
        let start = Replicated3.Share.concatenate(starts)
        let positionBits = Self.bits(UInt64(rows)) + 2
        var result: [Int: Replicated3.Share] = [:]
        for a in chosen {
            let aggregate = self.plan.aggregates[a]
            let valueBits = Self.bits(UInt64(aggregate.high - aggregate.low))
            let key = number.scaled(by: UInt64(1) << UInt64(valueBits)) + arguments[a]!
            let sorted = try await session.sort(key: key, payload: [arguments[a]!], keyBits: Self.bits(UInt64(groups + 1)) + valueBits).payload[0]
            let (numerator, denominator) = (UInt64(aggregate.fraction.numerator), UInt64(aggregate.fraction.denominator))
            let nMinusOne = counts.adding(constant: UInt64.max, party: session.party)
            let offset: Replicated3.Share
            var remainder = Replicated3.Share.zeros(groups)
            if aggregate.kind == .percentileDisc {
                // k = ⌈q·n⌉ − 1 (0 for q = 0), as PostgreSQL picks the first value at or past fraction q.
                offset = numerator == 0 ? .zeros(groups)
                    : try await session.divide(counts.scaled(by: numerator).adding(constant: denominator - 1, party: session.party),
                                               byPublic: [UInt64](repeating: denominator, count: groups), bits: min(61, positionBits + 31),
                                               quotientBits: positionBits)
                        .adding(constant: UInt64.max, party: session.party)
            } else {
                // position q·(n − 1) = lower + remainder / denominator.
                let scaled = nMinusOne.scaled(by: numerator)
                offset = try await session.divide(scaled, byPublic: [UInt64](repeating: denominator, count: groups), bits: min(61, positionBits + 31),
                                                  quotientBits: positionBits)
                remainder = scaled - offset.scaled(by: denominator)
            }
            let position = start + offset
            // selector[g][i] = [i == position_g], for every group at once.
            let broadcast = Replicated3.Share(mine: (0..<groups).flatMap { [UInt64](repeating: position.mine[$0], count: rows) },
                                              next: (0..<groups).flatMap { [UInt64](repeating: position.next[$0], count: rows) })
            let indices = [UInt64]((0..<groups).flatMap { _ in (0..<rows).map { UInt64($0) } })
            let selector = try await session.equal(broadcast, public: indices, bits: positionBits)
            let above = Replicated3.Share.concatenate([sorted.slice(1..<rows), .zeros(1)])
            var pairs: [(Replicated3.Share, Replicated3.Share)] = []
            for g in 0..<groups { pairs.append((selector.slice(g * rows..<(g + 1) * rows), sorted)) }
            for g in 0..<groups { pairs.append((selector.slice(g * rows..<(g + 1) * rows), above)) }
            let picked = try await session.innerProducts(pairs)
            let (low, high) = (picked.slice(0..<groups), picked.slice(groups..<2 * groups))
            if aggregate.kind == .percentileDisc {
                result[a] = low
            } else {
                result[a] = low.scaled(by: denominator) + (try await session.multiply(remainder, high - low))
            }
        }
        return result
    }

    /// The exact per-group moments of every two-argument aggregate: row products in one round, all group sums in
    /// another, then C, Dx and Dy per group in a third.
    private func pairMoments(
        _ session: inout MPCSession,
        evaluator: inout Evaluator,
        arguments: [Int: Replicated3.Share],
        indicator: (Int) -> Replicated3.Share,
        counts: Replicated3.Share,
        groups: Int
    ) async throws -> [Int: PairMoments] {
        let chosen = arguments.keys.sorted().filter { self.plan.aggregates[$0].kind.isPair }
        guard !chosen.isEmpty else { return [:] }
        var xs: [Int: Replicated3.Share] = [:]
        for a in chosen { xs[a] = try await evaluator.evaluate(self.plan.aggregates[a].second!, &session) }
        let products = try await session.multiply(.concatenate(chosen.flatMap { [arguments[$0]!, xs[$0]!, arguments[$0]!] }),
                                                  .concatenate(chosen.flatMap { [xs[$0]!, xs[$0]!, arguments[$0]!] }))
        let rows = self.rows
        var pairs: [(Replicated3.Share, Replicated3.Share)] = []
        for (position, a) in chosen.enumerated() {
            let columns = [xs[a]!, arguments[a]!] + (0..<3).map { products.slice((3 * position + $0) * rows..<(3 * position + $0 + 1) * rows) }
            for column in columns { for g in 0..<groups { pairs.append((indicator(g), column)) } }
        }
        let sums = try await session.innerProducts(pairs)
        // Per aggregate, five blocks of `groups`: Σx, Σy, Σxy, Σx², Σy².
        func block(_ position: Int, _ k: Int) -> Replicated3.Share { sums.slice((5 * position + k) * groups..<(5 * position + k + 1) * groups) }
        var left: [Replicated3.Share] = [], right: [Replicated3.Share] = []
        for position in chosen.indices {
            left += [counts, block(position, 0), counts, block(position, 0), counts, block(position, 1)]
            right += [block(position, 2), block(position, 1), block(position, 3), block(position, 0), block(position, 4), block(position, 1)]
        }
        let terms = try await session.multiply(.concatenate(left), .concatenate(right))
        func term(_ position: Int, _ k: Int) -> Replicated3.Share { terms.slice((6 * position + k) * groups..<(6 * position + k + 1) * groups) }
        var result: [Int: PairMoments] = [:]
        for (position, a) in chosen.enumerated() {
            result[a] = PairMoments(c: term(position, 0) - term(position, 1), u: term(position, 2) - term(position, 3),
                                    v: term(position, 4) - term(position, 5), sumX: block(position, 0), sumY: block(position, 1))
        }
        return result
    }

    static func bits(_ value: UInt64) -> Int { max(1, UInt64.bitWidth - value.leadingZeroBitCount) }
}

/// Evaluates plan expressions on shared columns, one vectorised protocol call per node.
struct Evaluator {
    var columns: [Replicated3.Share]
    var rows: Int

    mutating func evaluate(_ expression: PlanExpression, _ session: inout MPCSession) async throws -> Replicated3.Share {
        switch expression {
        case .column(let index): return self.columns[index]
        case .constant(let value): return Replicated3.Share.zeros(self.rows).adding(constant: UInt64(bitPattern: value), party: session.party)
        case .add(let l, let r): return try await self.evaluate(l, &session) + (try await self.evaluate(r, &session))
        case .subtract(let l, let r): return try await self.evaluate(l, &session) - (try await self.evaluate(r, &session))
        case .multiply(let l, let r):
            if case .constant(let c) = r { return try await self.evaluate(l, &session).scaled(by: UInt64(bitPattern: c)) }
            if case .constant(let c) = l { return try await self.evaluate(r, &session).scaled(by: UInt64(bitPattern: c)) }
            return try await session.multiply(try await self.evaluate(l, &session), try await self.evaluate(r, &session))
        case .scale(let x, let factor): return try await self.evaluate(x, &session).scaled(by: UInt64(bitPattern: factor))
        case .less(let l, let r, let bits):
            return try await session.lessThan(try await self.evaluate(l, &session), try await self.evaluate(r, &session), bits: bits)
        case .equal(let l, let r, let bits):
            return try await session.equal(try await self.evaluate(l, &session), try await self.evaluate(r, &session), bits: bits)
        case .and(let l, let r): return try await session.multiply(try await self.evaluate(l, &session), try await self.evaluate(r, &session))
        case .or(let l, let r):
            let (a, b) = (try await self.evaluate(l, &session), try await self.evaluate(r, &session))
            return a + b - (try await session.multiply(a, b))
        case .not(let x): return Replicated3.Share.zeros(self.rows).adding(constant: 1, party: session.party) - (try await self.evaluate(x, &session))
        case .select(let c, let t, let e):
            return try await session.select(try await self.evaluate(c, &session), try await self.evaluate(t, &session), try await self.evaluate(e, &session))
        }
    }
}
