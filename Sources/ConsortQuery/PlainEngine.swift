import ConsortSpec
import Foundation

/// Runs a plan in plaintext on local data: for analysts' dry runs on synthetic data and as the reference the MPC
/// engine must match. Sums and moments are exact integers (the checker proved they fit); the final divisions and
/// square roots are in Double.
package enum PlainEngine {
    /// Runs a plan that reads one table.
    package static func run(_ plan: QueryPlan, on data: TableData) throws -> QueryResult {
        guard plan.inputs.count == 1 else {
            throw QueryError(
                .invalidData,
                "the query reads \(plan.inputs.map(\.table.name).joined(separator: " and ")): give the rows of each")
        }
        return try self.run(plan, on: [data])
    }

    /// Runs a plan on the rows of each of its inputs, in the plan's order.
    package static func run(_ plan: QueryPlan, on inputs: [TableData]) throws -> QueryResult {
        guard inputs.count == plan.inputs.count else {
            throw QueryError(
                .invalidData, "the query reads \(plan.inputs.count) tables, but \(inputs.count) were given")
        }
        // The same facts, in the same order, as the MPC program opens.
        var failures: [Bool] = []
        for (input, data) in zip(plan.inputs, inputs) {
            failures += input.dataModel.map { bound in
                data.columns[bound.column].contains { !(bound.low...bound.high).contains($0) }
            }
        }
        for (input, data) in zip(plan.inputs, inputs) {
            failures += input.aborts.map { Self.evaluate($0.rule, on: data).contains(0) }
        }
        for (input, data) in zip(plan.inputs, inputs) {
            failures += input.uniqueKeys.map { key in
                let words = input.table.keyWords(of: key).map { data.columns[$0] }
                var seen = Set<[Int64]>()
                return !(0..<data.rows).allSatisfy { row in seen.insert(words.map { $0[row] }).inserted }
            }
        }
        if let reason = plan.abortReason(failures) { throw QueryError(.qualityAbort, reason) }
        var excludedRows: [String: Int] = [:]
        let valid = zip(plan.inputs, inputs).map { input, data in
            var valid = [Int64](repeating: 1, count: data.rows)
            for rule in input.exclusions { valid = zip(valid, Self.evaluate(rule, on: data)).map { $0 & $1 } }
            if !input.exclusions.isEmpty { excludedRows[input.table.name] = valid.reduce(0) { $0 + Int(1 - $1) } }
            return valid
        }
        // The rows the query reads: the kept rows of its table, or the joined pairs of kept rows.
        let data: TableData
        if let join = plan.join {
            data = Self.joined(plan, join, inputs: inputs, valid: valid)
        } else {
            data = TableData(
                columns: inputs[0].columns.map { column in zip(column, valid[0]).filter { $0.1 == 1 }.map(\.0) })
        }
        let rows = data.rows
        let evaluate = { (expression: PlanExpression) in Self.evaluate(expression, on: data) }
        let mask = plan.predicate.map(evaluate) ?? [Int64](repeating: 1, count: rows)
        // Mixed-radix group number of every row.
        var group = [Int](repeating: 0, count: rows)
        for key in plan.groups {
            group = zip(group, evaluate(key.index)).map { $0 * key.labels.count + Int($1) }
        }
        let groups = plan.groupCount
        var counts = [Int64](repeating: 0, count: groups)
        for row in 0..<rows where mask[row] == 1 { counts[group[row]] += 1 }
        var moments: [[(sum: Int64, squares: Int64, min: Int64, max: Int64)]] = []
        var ordered: [[[Int64]]] = []
        var pairs: [[PairMoments]] = []
        // Per aggregate, the rows it reads (those of the mask where its argument is not NULL) and their count per
        // group.
        var counted: [[Int64]] = []
        for aggregate in plan.aggregates {
            let mask = aggregate.presence.map { zip(mask, evaluate($0)).map { $0 & $1 } } ?? mask
            var count = [Int64](repeating: 0, count: groups)
            for row in 0..<rows where mask[row] == 1 { count[group[row]] += 1 }
            counted.append(count)
            var perGroupPairs = [PairMoments](repeating: PairMoments(), count: aggregate.kind.isPair ? groups : 0)
            if aggregate.kind.isPair, let argument = aggregate.argument, let second = aggregate.second {
                let (ys, xs) = (evaluate(argument), evaluate(second))
                for row in 0..<rows where mask[row] == 1 { perGroupPairs[group[row]].add(y: ys[row], x: xs[row]) }
            }
            pairs.append(perGroupPairs)
            var perGroupValues = [[Int64]](repeating: [], count: aggregate.kind.isPercentile ? groups : 0)
            if aggregate.kind.isPercentile, let argument = aggregate.argument {
                let values = evaluate(argument)
                for row in 0..<rows where mask[row] == 1 { perGroupValues[group[row]].append(values[row]) }
                for g in perGroupValues.indices { perGroupValues[g].sort() }
            }
            ordered.append(perGroupValues)
            var perGroup = [(sum: Int64, squares: Int64, min: Int64, max: Int64)](
                repeating: (0, 0, .max, .min), count: groups)
            if let argument = aggregate.argument {
                let values = evaluate(argument)
                for row in 0..<rows where mask[row] == 1 {
                    let x = values[row]
                    perGroup[group[row]].sum += x
                    if aggregate.kind.isSecondMoment { perGroup[group[row]].squares += x * x }
                    perGroup[group[row]].min = min(perGroup[group[row]].min, x)
                    perGroup[group[row]].max = max(perGroup[group[row]].max, x)
                }
            }
            moments.append(perGroup)
        }
        var result = QueryResult(plan: plan, excludedRows: excludedRows)
        for g in 0..<groups {
            let suppressed = counts[g] < Int64(plan.minGroupSize)
            if suppressed { result.suppressed += 1 }
            result.rows.append(
                plan.outputs.map { output in
                    switch output.source {
                    case .group(let key): return plan.label(of: g, key: key)
                    case .aggregate(let index):
                        if suppressed { return nil }
                        let aggregate = plan.aggregates[index]
                        let m = moments[index][g]
                        if aggregate.kind.isPercentile {
                            return Finals.percentile(aggregate, sorted: ordered[index][g])
                        }
                        if aggregate.kind.isPair { return Finals.pair(aggregate, pairs[index][g]) }
                        return Finals.value(
                            aggregate, count: counted[index][g], sum: m.sum, squares: m.squares, min: m.min,
                            max: m.max)
                    }
                })
        }
        return result
    }

    static func evaluate(_ expression: PlanExpression, on data: TableData) -> [Int64] {
        let evaluate = { (inner: PlanExpression) in Self.evaluate(inner, on: data) }
        switch expression {
        case .column(let index): return data.columns[index]
        case .constant(let value): return [Int64](repeating: value, count: data.rows)
        case .add(let l, let r): return zip(evaluate(l), evaluate(r)).map { $0 + $1 }
        case .subtract(let l, let r): return zip(evaluate(l), evaluate(r)).map { $0 - $1 }
        case .multiply(let l, let r): return zip(evaluate(l), evaluate(r)).map { $0 * $1 }
        case .scale(let x, let factor): return evaluate(x).map { $0 * factor }
        case .less(let l, let r, _): return zip(evaluate(l), evaluate(r)).map { $0 < $1 ? 1 : 0 }
        case .equal(let l, let r, _): return zip(evaluate(l), evaluate(r)).map { $0 == $1 ? 1 : 0 }
        case .and(let l, let r): return zip(evaluate(l), evaluate(r)).map { $0 & $1 }
        case .or(let l, let r): return zip(evaluate(l), evaluate(r)).map { $0 | $1 }
        case .not(let x): return evaluate(x).map { 1 - $0 }
        case .select(let c, let t, let e):
            return zip(evaluate(c), zip(evaluate(t), evaluate(e))).map { $0 == 1 ? $1.0 : $1.1 }
        }
    }

    /// The inner join of the kept rows on the key's words: each kept "many" row with the kept "one" row of its key.
    private static func joined(_ plan: QueryPlan, _ join: QueryPlan.Join, inputs: [TableData], valid: [[Int64]])
        -> TableData
    {
        let (many, one) = (inputs[join.many], inputs[join.one])
        let manyWords = plan.inputs[join.many].table.keyWords(of: join.manyKey).map { many.columns[$0] }
        let oneWords = plan.inputs[join.one].table.keyWords(of: join.oneKey).map { one.columns[$0] }
        var partners: [[Int64]: Int] = [:]
        for row in 0..<one.rows where valid[join.one][row] == 1 {
            partners[oneWords.map { $0[row] }] = partners[oneWords.map { $0[row] }] ?? row
        }
        let (manyTable, oneTable) = (plan.inputs[join.many].table, plan.inputs[join.one].table)
        let manyCarried = plan.carried(from: manyTable, offset: 0)
        let oneCarried = plan.carried(from: oneTable, offset: manyTable.columns.count)
        var columns = [[Int64]](repeating: [], count: plan.table.storedColumnNames.count)
        var rows = 0
        for row in 0..<many.rows where valid[join.many][row] == 1 {
            guard let partner = partners[manyWords.map { $0[row] }] else { continue }
            for column in manyCarried { columns[column.target].append(many.columns[column.source][row]) }
            for column in oneCarried { columns[column.target].append(one.columns[column.source][partner]) }
            rows += 1
        }
        // Keys are not carried: their columns hold zeros.
        for index in columns.indices where columns[index].count != rows {
            columns[index] = [Int64](repeating: 0, count: rows)
        }
        return TableData(columns: columns)
    }
}

/// Σ over a group of the shifted (Y, X) pairs: the exact moments of the two-argument aggregates.
struct PairMoments {
    var count: Int64 = 0
    var x: Int64 = 0, y: Int64 = 0, xy: Int64 = 0, xx: Int64 = 0, yy: Int64 = 0

    mutating func add(y: Int64, x: Int64) {
        self.count += 1
        self.x += x
        self.y += y
        self.xy += x * y
        self.xx += x * x
        self.yy += y * y
    }
}

extension QueryPlan {
    /// The label of key `key` in group number `group` (mixed radix, first key most significant).
    func label(of group: Int, key: Int) -> ResultValue? {
        var rest = group
        for index in stride(from: self.groups.count - 1, to: key, by: -1) { rest /= self.groups[index].labels.count }
        return self.groups[key].labels[rest % self.groups[key].labels.count]
    }
}

/// PostgreSQL's aggregate results from exact per-group moments (the argument of AVG and the second moments is
/// shifted by its lower bound).
enum Finals {
    static func value(
        _ aggregate: QueryPlan.Aggregate, count: Int64, sum: Int64, squares: Int64, min: Int64, max: Int64
    ) -> ResultValue? {
        let scale = aggregate.scale
        func decimal(_ units: Int64) -> ResultValue {
            scale == 0 ? .integer(units) : .decimal(units: units, scale: scale)
        }
        switch aggregate.kind {
        case .count: return .integer(count)
        case _ where count == 0: return nil
        case .sum: return decimal(sum)
        case .min: return decimal(min)
        case .max: return decimal(max)
        case .avg: return .real((Double(aggregate.low) + Double(sum) / Double(count)) / pow10(scale))
        case .varPop, .varSamp, .stddevPop, .stddevSamp:
            let sample = aggregate.kind == .varSamp || aggregate.kind == .stddevSamp
            if sample, count < 2 { return nil }
            let numerator = count * squares - sum * sum
            let denominator = sample ? count * (count - 1) : count * count
            let variance = Double(numerator) / Double(denominator) / pow10(2 * scale)
            return .real(aggregate.kind == .varPop || aggregate.kind == .varSamp ? variance : variance.squareRoot())
        case .percentileCont, .percentileDisc:
            return nil  // from the sorted values: `percentile`
        case .covarPop, .covarSamp, .corr, .regrSlope, .regrIntercept, .regrR2:
            return nil  // from the pair moments: `pair`
        }
    }

    /// PostgreSQL's two-argument aggregates of (Y, X) from exact moments of the shifted values.
    static func pair(_ aggregate: QueryPlan.Aggregate, _ m: PairMoments) -> ResultValue? {
        let n = m.count
        guard n > 0 else { return nil }
        let c = n * m.xy - m.x * m.y
        let u = n * m.xx - m.x * m.x
        let v = n * m.yy - m.y * m.y
        let (ky, kx) = (aggregate.scale, aggregate.secondScale)
        switch aggregate.kind {
        case .covarPop: return .real(Double(c) / Double(n * n) / pow10(kx + ky))
        case .covarSamp: return n < 2 ? nil : .real(Double(c) / Double(n * (n - 1)) / pow10(kx + ky))
        case .corr: return u == 0 || v == 0 ? nil : .real(Double(c) / (Double(u).squareRoot() * Double(v).squareRoot()))
        case .regrSlope: return u == 0 ? nil : .real(Double(c) / Double(u) * pow10(kx) / pow10(ky))
        case .regrR2: return u == 0 ? nil : v == 0 ? .real(1) : .real(Double(c) / Double(u) * (Double(c) / Double(v)))
        case .regrIntercept:
            guard u == 0 else {
                // Unshifted sums: ΣY = Σy' + n·lowY, ΣX = Σx' + n·lowX; intercept = (ΣY·u − C·ΣX) / (n·u).
                // Exact: the checker proved n·(ΣY·u − C·ΣX) and n·u fit.
                let sumY = m.y + n * aggregate.low, sumX = m.x + n * aggregate.secondLow
                return .real(Double(sumY * u - c * sumX) / Double(n * u) / pow10(ky))
            }
            return nil
        default: return nil
        }
    }

    /// PostgreSQL's percentiles of a group's sorted (shifted) values: DISC is the first value at or past fraction q
    /// of the group, CONT interpolates linearly at position q·(n − 1).
    static func percentile(_ aggregate: QueryPlan.Aggregate, sorted values: [Int64]) -> ResultValue? {
        guard !values.isEmpty else { return nil }
        let (a, b) = aggregate.fraction
        let n = Int64(values.count)
        let scale = aggregate.scale
        if aggregate.kind == .percentileDisc {
            let k = max(0, (a * n + b - 1) / b - 1)
            let units = values[Int(k)] + aggregate.low
            return scale == 0 ? .integer(units) : .decimal(units: units, scale: scale)
        }
        let lower = a * (n - 1) / b
        let remainder = a * (n - 1) - lower * b
        let low = values[Int(lower)]
        let high = values[Int(min(lower + 1, n - 1))]
        let weighted = low * b + remainder * (high - low)  // the percentile · b, exactly
        return .real((Double(weighted) / Double(b) + Double(aggregate.low)) / pow10(scale))
    }
}
