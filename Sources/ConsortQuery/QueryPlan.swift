import ConsortMPC
import ConsortSpec

/// A checked query: every value is a scaled integer (decimal × 10^scale; category index; boolean 0/1) with a range
/// proven to fit the engine's `domain`, so the same plan runs exactly in plaintext and under MPC.
package struct QueryPlan: Sendable {
    /// The rows the query reads: its input table, or for a join the joined rows (the "many" side's columns, then
    /// the "one" side's), at most `maxRows` of them under MPC (both sides' rows before matching).
    package var table: ComputationTaskSpecification.Table
    /// The CTS tables read, each with the checks that run on its own rows before any join.
    package var inputs: [Input]
    /// The inner equi-join of two inputs on key columns, when the query has one.
    var join: Join?
    /// The value domain the plan was checked for; bit widths of comparisons and divisions follow it.
    package var domain: ValueDomain
    var predicate: PlanExpression?
    var groups: [GroupKey]
    var aggregates: [Aggregate]
    package var outputs: [Output]
    package var minGroupSize: Int
    /// What the query reveals besides its declared outputs.
    package var leakage: [String]

    /// One input table and what is checked on its rows (column indices are the table's stored columns).
    package struct Input: Sendable {
        package var table: ComputationTaskSpecification.Table
        /// The table's data model as stored values: every non-key column's range (category index, boolean 0/1,
        /// scaled decimal), checked on the shares before anything else so that values an input party crafted past
        /// the CTS's promise abort the task instead of corrupting it.
        var dataModel: [DataModelBound] = []
        var aborts: [(name: String, rule: PlanExpression)] = []
        /// Rows kept: the quality rules with `exclude` (each a 0/1 expression).
        var exclusions: [PlanExpression] = []
        /// Key columns declared unique: a repeated value aborts the task.
        var uniqueKeys: [Int] = []

        init(table: ComputationTaskSpecification.Table) { self.table = table }
    }

    /// `many JOIN one ON many.key = one.key`: every row of input `many` meets at most one row of input `one`
    /// (whose key is unique); rows without a partner drop out.
    struct Join: Sendable {
        var many: Int
        var manyKey: Int
        var one: Int
        var oneKey: Int
    }

    /// One column's stored range.
    struct DataModelBound: Sendable {
        var column: Int
        var low: Int64
        var high: Int64
        var description: String
    }

    /// Every fact a run opens to decide whether the task aborts, in the order it opens them: every input's data
    /// model (a bit per bounded column), then every input's aborting quality rules, then every input's unique keys.
    var abortChecks: [String] {
        let inputs = self.inputs
        return inputs.flatMap { input in
            input.dataModel.map {
                "at least one \(input.table.name) row is outside the CTS's data model: \($0.description); the task aborts"
            }
        }
            + inputs.flatMap { input in
                input.aborts.map {
                    "quality rule '\($0.name)' fails for at least one \(input.table.name) row: the task aborts"
                }
            }
            + inputs.flatMap { input in
                input.uniqueKeys.map {
                    "key '\(input.table.columns[$0].name)' of table \(input.table.name) is declared unique, but at least two rows share a value: the task aborts"
                }
            }
    }

    /// Why the task aborts, from the facts a run opened (`abortChecks`, in order); nil if nothing failed.
    func abortReason(_ failures: [Bool]) -> String? {
        guard let failed = failures.firstIndex(of: true) else { return nil }
        let checks = self.abortChecks
        return failed < checks.count ? checks[failed] : "check \(failed) failed: the task aborts"
    }

    /// Why the task aborts, from the facts a computing party's run opened (nil: it did not).
    package func abortReason(_ facts: PublicFacts) -> String? { self.abortReason(facts.abortFailures) }

    /// The input tables with exclusion rules, whose excluded row counts are part of the output.
    var excluding: [Int] { self.inputs.indices.filter { !self.inputs[$0].exclusions.isEmpty } }

    /// A GROUP BY key with a public domain: `index` evaluates to 0..<labels.count. A nil label is the NULL group's.
    struct GroupKey: Sendable {
        var index: PlanExpression
        var labels: [ResultValue?]
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
        /// 1 where the argument (both arguments) is not NULL; nil: never NULL. Rows where it is NULL are skipped,
        /// as SQL's aggregates skip NULLs.
        var presence: PlanExpression? = nil
    }

    package struct Output: Sendable {
        package var name: String
        package var type: String
        enum Source: Sendable {
            case group(Int)
            case aggregate(Int)
        }
        var source: Source
        /// A GROUP BY key (a label of the result), not an aggregate.
        package var isGroup: Bool {
            if case .group = self.source { return true }
            return false
        }
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

extension PlanExpression {
    /// The stored columns the expression reads.
    var columns: Set<Int> {
        switch self {
        case .column(let index): return [index]
        case .constant: return []
        case .scale(let a, _), .not(let a): return a.columns
        case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b), .less(let a, let b, _),
            .equal(let a, let b, _), .and(let a, let b), .or(let a, let b):
            return a.columns.union(b.columns)
        case .select(let a, let b, let c): return a.columns.union(b.columns).union(c.columns)
        }
    }
}

extension QueryPlan {
    /// The columns of the query's table that WHERE, GROUP BY and the aggregates read (rules read the inputs').
    var readColumns: Set<Int> {
        var read = self.predicate?.columns ?? []
        for key in self.groups { read.formUnion(key.index.columns) }
        for aggregate in self.aggregates {
            for expression in [aggregate.argument, aggregate.second, aggregate.presence] {
                read.formUnion(expression?.columns ?? [])
            }
        }
        return read
    }
}
