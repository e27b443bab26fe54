import ConsortSpec

/// A checked query: every value is a scaled integer (decimal × 10^scale; category index; boolean 0/1) with a proven
/// range, so the same plan runs exactly in plaintext and under MPC over Z_2^64.
package struct QueryPlan: Sendable {
    package var table: ComputationTaskSpecification.Table
    /// Rows kept: quality rules with `exclude`, then the WHERE predicate (each a 0/1 expression).
    var exclusions: [PlanExpression]
    var aborts: [(name: String, rule: PlanExpression)]
    var predicate: PlanExpression?
    var groups: [GroupKey]
    var aggregates: [Aggregate]
    package var outputs: [Output]
    package var minGroupSize: Int
    /// What the query reveals besides its declared outputs.
    package var leakage: [String]

    /// A GROUP BY key with a public domain: `index` evaluates to 0..<labels.count.
    struct GroupKey: Sendable {
        var index: PlanExpression
        var labels: [ResultValue]
        var source: SQLExpression
    }

    enum AggregateKind: String, Sendable {
        case count, sum, avg, min, max, varPop, varSamp, stddevPop, stddevSamp, percentileCont, percentileDisc
        /// Two-argument aggregates over (Y, X), PostgreSQL's argument order.
        case covarPop, covarSamp, corr, regrSlope, regrIntercept, regrR2
    }

    /// An aggregate over the argument; for AVG and the second moments the argument is shifted by its lower bound
    /// (x − low ≥ 0), which leaves variances unchanged and keeps the moments small and non-negative.
    struct Aggregate: Sendable {
        var kind: AggregateKind
        var argument: PlanExpression?
        var scale: Int
        var low: Int64 = 0
        var high: Int64 = 0
        /// The percentile q = numerator / denominator (PERCENTILE_*, MEDIAN); the argument is shifted by `low`.
        var fraction: (numerator: Int64, denominator: Int64) = (1, 2)
        /// For two-argument aggregates: X (shifted by `secondLow`), its scale and bounds; `argument` is Y.
        var second: PlanExpression? = nil
        var secondScale = 0
        var secondLow: Int64 = 0
        var secondHigh: Int64 = 0
    }

    package struct Output: Sendable {
        package var name: String
        package var type: String
        enum Source: Sendable {
            case group(Int)
            case aggregate(Int)
        }
        var source: Source
    }

    /// The number of groups (every combination of the keys' domains).
    var groupCount: Int { self.groups.reduce(1) { $0 * $1.labels.count } }
}

/// An expression of the plan over one row, with its value range (in scaled units) and decimal scale.
indirect enum PlanExpression: Sendable {
    case column(Int)
    case constant(Int64)
    case add(PlanExpression, PlanExpression)
    case subtract(PlanExpression, PlanExpression)
    case multiply(PlanExpression, PlanExpression)
    case scale(PlanExpression, Int64)
    /// 0/1: left < right, with `bits` enough for |left − right| < 2^(bits−1).
    case less(PlanExpression, PlanExpression, bits: Int)
    /// 0/1: left == right, with |left − right| < 2^bits.
    case equal(PlanExpression, PlanExpression, bits: Int)
    case and(PlanExpression, PlanExpression)
    case or(PlanExpression, PlanExpression)
    case not(PlanExpression)
    /// condition ? then : otherwise, condition 0/1.
    case select(PlanExpression, PlanExpression, PlanExpression)
}

/// One cell of a result.
package enum ResultValue: Hashable, Sendable, CustomStringConvertible {
    case integer(Int64)
    case decimal(units: Int64, scale: Int)
    case real(Double)
    case text(String)
    case boolean(Bool)

    package var description: String {
        switch self {
        case .integer(let value): return String(value)
        case .decimal(let units, let scale): return FixedDecimal(units: units, scale: scale).description
        case .real(let value): return value.description
        case .text(let value): return value
        case .boolean(let value): return value ? "true" : "false"
        }
    }

    package var doubleValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .decimal(let units, let scale): return Double(units) / pow10(scale)
        case .real(let value): return value
        case .text, .boolean: return nil
        }
    }
}

func pow10(_ exponent: Int) -> Double {
    var value = 1.0
    for _ in 0..<exponent { value *= 10 }
    return value
}

extension QueryPlan {
    /// A rough cost of the MPC run at `table.maxRows` rows, for reviewers: rounds and bytes per computing party.
    package func costEstimate() -> (rounds: Int, bytesPerParty: Int) {
        let rows = self.table.maxRows
        var rounds = 0
        var elements = 0
        func visit(_ expression: PlanExpression) -> Int {
            switch expression {
            case .column, .constant: return 0
            case .add(let l, let r), .subtract(let l, let r): return visit(l) + visit(r)
            case .scale(let x, _), .not(let x): return visit(x)
            case .multiply(let l, let r), .and(let l, let r), .or(let l, let r):
                elements += rows
                return visit(l) + visit(r) + 1
            case .less(let l, let r, let bits):
                elements += rows * (3 * bits + 4) / 8
                return visit(l) + visit(r) + 4 + Int(Double(bits).log2.rounded(.up))
            case .equal(let l, let r, let bits):
                elements += rows * (bits + 4) / 8
                return visit(l) + visit(r) + 3 + Int(Double(bits).log2.rounded(.up))
            case .select(let c, let t, let e):
                elements += rows
                return visit(c) + visit(t) + visit(e) + 1
            }
        }
        for rule in self.exclusions + self.aborts.map(\.rule) { rounds += visit(rule) + 1 }
        if let predicate = self.predicate { rounds += visit(predicate) + 1 }
        for key in self.groups { rounds += visit(key.index) + 8; elements += rows * key.labels.count * 2 }
        let groups = self.groupCount
        rounds += 2
        for aggregate in self.aggregates {
            if let argument = aggregate.argument { rounds += visit(argument) }
            switch aggregate.kind {
            case .min, .max:
                rounds += 10 * Int(Double(max(rows, 2)).log2.rounded(.up))
                elements += 6 * rows * groups
            case .avg, .varPop, .varSamp, .stddevPop, .stddevSamp: rounds += 12 * 60
            case .covarPop, .covarSamp, .corr, .regrSlope, .regrIntercept, .regrR2:
                // Row products, group sums, then a 100-step signed long division (and square roots for CORR).
                if let second = aggregate.second { rounds += visit(second) }
                elements += 3 * rows
                rounds += 12 * 130
            case .percentileCont, .percentileDisc:
                // Shuffle + quicksort (about 2·log₂ n comparison levels) + selection by equality per group.
                rounds += 30 * Int(Double(max(rows, 2)).log2.rounded(.up))
                elements += rows * (16 + 12 * Int(Double(max(rows, 2)).log2.rounded(.up))) + rows * groups * 4
            default: break
            }
        }
        return (rounds, elements * 8)
    }
}
