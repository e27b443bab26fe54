import ConsortMPC
import ConsortSpec
import Foundation

/// Resolves a parsed query against a CTS table, checks types, and proves by range analysis — in exact integers — that
/// no intermediate value leaves the engine's integers (`ValueDomain`): every value stays below 2^valueBits (two bits
/// of headroom for comparisons: ±2^62 in Z_2^64), every sum and moment that feeds an exact division below
/// 2^exactBits (2^61).
package enum QueryChecker {
    /// Checks the CTS's query for the value domain of the CTS's engine.
    package static func check(_ cts: ComputationTaskSpecification) throws -> QueryPlan {
        try self.check(cts, domain: try EngineRegistry.shared.engine(for: cts.engine).traits.domain)
    }

    /// Checks the CTS's query for an engine with `domain`.
    package static func check(_ cts: ComputationTaskSpecification, domain: ValueDomain) throws -> QueryPlan {
        let select = try SQLParser.parseQuery(cts.query)
        func table(_ reference: SQLSelect.TableReference) throws -> ComputationTaskSpecification.Table {
            guard let table = cts.table(named: reference.name) else {
                throw QueryError(
                    .unknownName,
                    "the CTS declares no table '\(reference.name)' (tables: \(cts.tables.map(\.name).joined(separator: ", ")))",
                    at: reference.position)
            }
            return table
        }
        var references = [select.from]
        var inputs = [QueryPlan.Input(table: try table(select.from))]
        if let join = select.join {
            references.append(join.table)
            inputs.append(QueryPlan.Input(table: try table(join.table)))
            guard inputs[0].table.name != inputs[1].table.name else {
                throw QueryError(.unsupported, "a table cannot be joined with itself", at: join.table.position)
            }
            guard join.table.qualifier != select.from.qualifier else {
                throw QueryError(
                    .type, "both tables of the join are called '\(join.table.qualifier)': give one an alias",
                    at: join.table.position)
            }
        }
        for index in inputs.indices {
            try Self.checks(of: &inputs[index], cts: cts, domain: domain)
        }
        var plan = QueryPlan(
            table: inputs[0].table, inputs: inputs, join: nil, domain: domain, predicate: nil, groups: [],
            aggregates: [], outputs: [], minGroupSize: cts.disclosure.minGroupSize, leakage: [])
        var scope = Scope(
            table: inputs[0].table, domain: domain, qualifiers: [(select.from.qualifier, 0, inputs[0].table)])
        if let join = select.join {
            let (joinPlan, joined) = try Self.join(join, references: references, inputs: inputs, domain: domain)
            plan.join = joinPlan
            plan.table = joined
            let many = inputs[joinPlan.many].table
            scope = Scope(
                table: joined, domain: domain,
                qualifiers: [
                    (references[joinPlan.many].qualifier, 0, many),
                    (references[joinPlan.one].qualifier, many.columns.count, inputs[joinPlan.one].table),
                ])
            plan.leakage.append(
                "nothing about which rows of \(many.name) and \(inputs[joinPlan.one].table.name) match: the join is an oblivious sort of both tables' keys under MPC (its size is not opened)"
            )
        }
        for input in inputs {
            if !input.dataModel.isEmpty {
                plan.leakage.append(
                    "for each column of \(input.table.name), whether any row is outside the CTS's data model (the task aborts if one is)"
                )
            }
            if !input.exclusions.isEmpty {
                plan.leakage.append(
                    "the number of \(input.table.name) rows excluded by quality rules is part of the output")
            }
            for rule in input.aborts {
                plan.leakage.append(
                    "whether any \(input.table.name) row fails quality rule '\(rule.name)' (the task aborts if one does)"
                )
            }
            for key in input.uniqueKeys {
                plan.leakage.append(
                    "whether two \(input.table.name) rows share a value of the unique key '\(input.table.columns[key].name)' (the task aborts if they do)"
                )
            }
        }
        if let predicate = select.predicate { plan.predicate = try scope.boolean(predicate, "WHERE") }
        for key in select.groupBy {
            var group = try scope.groupKey(key)
            group.source = try scope.canonical(key)
            plan.groups.append(group)
        }
        let rows = Int128(plan.table.maxRows)
        for (position, item) in select.items.enumerated() {
            let shape = try scope.canonical(item.expression)
            if let group = plan.groups.firstIndex(where: { $0.source.sameShape(as: shape) }) {
                plan.outputs.append(
                    .init(
                        name: item.alias ?? item.expression.defaultName, type: scope.groupType(plan.groups[group]),
                        source: .group(group)))
                continue
            }
            guard case .call(let name, let arguments, let star, let orderBy, let at) = item.expression else {
                throw QueryError(
                    .type, "select item \(position + 1) is neither a GROUP BY key nor an aggregate",
                    at: item.expression.position)
            }
            let (aggregate, type) = try scope.aggregate(
                name.lowercased(), arguments, star: star, orderBy: orderBy, at: at, rows: rows)
            plan.aggregates.append(aggregate)
            plan.outputs.append(
                .init(name: item.alias ?? name.lowercased(), type: type, source: .aggregate(plan.aggregates.count - 1)))
        }
        guard plan.groupCount <= 100_000 else {
            throw QueryError(
                .unsupported, "GROUP BY yields \(plan.groupCount) groups; at most 100000 are supported",
                at: select.groupBy.first?.position)
        }
        if plan.minGroupSize > 0 {
            plan.leakage.append(
                "which groups have fewer than \(plan.minGroupSize) contributing rows (their cells are suppressed)")
        }
        if plan.aggregates.contains(where: \.kind.isPair) {
            plan.leakage.append(
                "for the two-argument aggregates, in which groups x or y is constant (PostgreSQL's NULLs)")
        }
        if plan.aggregates.contains(where: { $0.kind != .count && $0.presence != nil }) {
            plan.leakage.append(
                "for each aggregate of a value that may be NULL, whether each group has no value that is not NULL (or only one, for sample statistics): PostgreSQL's NULL results"
            )
        }
        if plan.aggregates.contains(where: { $0.kind != .count }) {
            plan.leakage.append(
                "whether each group is empty (or has a single row, for sample statistics): PostgreSQL's NULL results")
        }
        return plan
    }

    /// An input table's own checks: its data model, its quality rules, its unique keys.
    private static func checks(
        of input: inout QueryPlan.Input, cts: ComputationTaskSpecification, domain: ValueDomain
    ) throws {
        let table = input.table
        for (index, column) in table.columns.enumerated() {
            let bound: (low: Int64, high: Int64, text: String)?
            switch column.type {
            case .integer(let min, let max): bound = (min, max, "\(min)...\(max)")
            case .decimal(let scale, let min, let max):
                bound = (min.rescaled(scale), max.rescaled(scale), "\(min)...\(max) with \(scale) decimals")
            case .category(let values): bound = (0, Int64(values.count - 1), "one of \(values.count) categories")
            case .boolean: bound = (0, 1, "a boolean")
            case .key:
                bound = nil
                if column.unique { input.uniqueKeys.append(index) }
                // Each word of a key is 32 bits: the join's sort relies on it.
                for word in table.keyWords(of: index) {
                    input.dataModel.append(
                        .init(
                            column: word, low: 0, high: (1 << table.keyLayout.wordBits) - 1,
                            description: "key column '\(column.name)' must hold \(table.keyLayout.wordBits)-bit words"))
                }
            }
            guard let bound else { continue }
            if let present = table.presence(of: index) {
                input.dataModel.append(
                    .init(
                        column: present, low: 0, high: 1,
                        description: "the presence bits of column '\(column.name)' must be 0 or 1"))
            }
            input.dataModel.append(
                .init(
                    column: index, low: bound.low, high: bound.high,
                    description: "column '\(column.name)' must be \(bound.text)"))
        }
        let scope = Scope(table: table, domain: domain, qualifiers: [(table.name, 0, table)])
        for rule in cts.quality where rule.table == table.name {
            let expression: SQLExpression
            do { expression = try SQLParser.parseExpression(rule.rule) } catch let error as QueryError {
                throw QueryError(
                    error.code, "quality rule '\(rule.name)': \(error.message)", line: error.line, column: error.column)
            }
            let typed = try scope.boolean(expression, "quality rule '\(rule.name)'")
            switch rule.onFailure {
            case .exclude: input.exclusions.append(typed)
            case .abort: input.aborts.append((rule.name, typed))
            }
        }
    }

    /// The join of the two inputs: which side is "one" (its key unique), and the joined rows' columns.
    private static func join(
        _ join: SQLSelect.Join, references: [SQLSelect.TableReference], inputs: [QueryPlan.Input], domain: ValueDomain
    ) throws -> (QueryPlan.Join, ComputationTaskSpecification.Table) {
        let both = Scope(
            table: inputs[0].table, domain: domain,
            qualifiers: [
                (references[0].qualifier, 0, inputs[0].table),
                (references[1].qualifier, inputs[0].table.columns.count, inputs[1].table),
            ])
        var keys: [Int: Int] = [:]
        for side in [join.left, join.right] {
            guard case .column(let name, let at) = side else {
                throw QueryError(.type, "a join compares two key columns (a.key = b.key)", at: side.position)
            }
            let index = try both.resolve(name, at: at)
            let input = index < inputs[0].table.columns.count ? 0 : 1
            let column = index - (input == 0 ? 0 : inputs[0].table.columns.count)
            guard inputs[input].table.columns[column].type == .key else {
                throw QueryError(
                    .type,
                    "a join matches key columns; '\(name)' is a \(inputs[input].table.columns[column].type.name)",
                    at: at)
            }
            guard keys[input] == nil else {
                throw QueryError(.type, "the ON condition must compare a key of each table", at: at)
            }
            keys[input] = column
        }
        // Tables of one CTS share their key layout; tables put together by hand might not.
        guard inputs[0].table.keyLayout == inputs[1].table.keyLayout else {
            throw QueryError(.unsupported, "the two tables store their keys differently: they are not of one CTS")
        }
        let unique = (0..<2).map { inputs[$0].table.columns[keys[$0]!].unique }
        guard unique.contains(true) else {
            throw QueryError(
                .unsupported,
                "neither join key is declared unique: consort-sql/1 joins one-to-one or many-to-one, so the CTS must declare the key of the \"one\" side \"unique\": true",
                at: join.position)
        }
        // The joined table's side is "one" when its key is unique, so FROM many JOIN one reads naturally.
        let one = unique[1] ? 1 : 0
        let many = 1 - one
        let (manyTable, oneTable) = (inputs[many].table, inputs[one].table)
        var joined = ComputationTaskSpecification.Table(
            name: "\(manyTable.name) JOIN \(oneTable.name)", maxRows: manyTable.maxRows + oneTable.maxRows,
            columns: manyTable.columns + oneTable.columns)
        joined.keyLayout = manyTable.keyLayout
        return (QueryPlan.Join(many: many, manyKey: keys[many]!, one: one, oneKey: keys[one]!), joined)
    }
}

/// SQL's three-valued logic on conditions held as (known true, known): NOT swaps known true and known false;
/// AND is known true where both are, known false where either is; OR the other way round.
enum Logic {
    /// Known where both are (nil: always known).
    static func both(_ a: PlanExpression?, _ b: PlanExpression?) -> PlanExpression? {
        switch (a, b) {
        case (nil, nil): return nil
        case (let a?, nil): return a
        case (nil, let b?): return b
        case (let a?, let b?): return .and(a, b)
        }
    }

    static func not(_ x: Typed) -> Typed {
        guard let present = x.present else { return Typed(plan: .not(x.plan), kind: .boolean, low: 0, high: 1) }
        return Typed(plan: .subtract(present, x.plan), kind: .boolean, low: 0, high: 1, present: present)
    }

    static func and(_ l: Typed, _ r: Typed) -> Typed {
        guard l.present != nil || r.present != nil else {
            return Typed(plan: .and(l.plan, r.plan), kind: .boolean, low: 0, high: 1)
        }
        let known = PlanExpression.and(l.plan, r.plan)
        let knownFalse = PlanExpression.or(Self.knownFalse(l), Self.knownFalse(r))
        return Typed(plan: known, kind: .boolean, low: 0, high: 1, present: .add(known, knownFalse))
    }

    static func or(_ l: Typed, _ r: Typed) -> Typed {
        guard l.present != nil || r.present != nil else {
            return Typed(plan: .or(l.plan, r.plan), kind: .boolean, low: 0, high: 1)
        }
        let known = PlanExpression.or(l.plan, r.plan)
        let knownFalse = PlanExpression.and(Self.knownFalse(l), Self.knownFalse(r))
        return Typed(plan: known, kind: .boolean, low: 0, high: 1, present: .add(known, knownFalse))
    }

    private static func knownFalse(_ x: Typed) -> PlanExpression {
        .subtract(x.present ?? .constant(1), x.plan)
    }
}

/// A typed expression: its plan, its kind and its range in scaled units.
struct Typed {
    enum Kind: Equatable {
        case number(scale: Int)
        case boolean
        case category([String])
    }

    var plan: PlanExpression
    var kind: Kind
    var low: Int128
    var high: Int128
    /// 1 where the value is known, 0 where it is NULL; nil: never NULL. A condition that may be NULL keeps in
    /// `plan` whether it is known to be true (SQL's three-valued logic: WHERE keeps those rows).
    var present: PlanExpression? = nil

    var scale: Int { if case .number(let scale) = self.kind { return scale } else { return 0 } }
    var magnitude: Int128 { max(abs(self.low), abs(self.high)) }
}

private struct Scope {
    /// The rows' columns (for a join, both tables' columns one after the other).
    var table: ComputationTaskSpecification.Table
    var domain: ValueDomain
    /// The names columns may be qualified by (a table's alias or name), where each table's columns start in
    /// `table`, and the table.
    var qualifiers: [(name: String, offset: Int, table: ComputationTaskSpecification.Table)]

    /// The column `name` (`column` or `qualifier.column`) stands for; unknown and ambiguous names are errors.
    func resolve(_ name: String, at: SourcePosition) throws -> Int {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            guard let qualifier = self.qualifiers.first(where: { $0.name == parts[0] }) else {
                throw QueryError(
                    .unknownName,
                    "no table is called '\(parts[0])' in this query (\(self.qualifiers.map(\.name).joined(separator: ", ")))",
                    at: at)
            }
            guard let index = qualifier.table.columns.firstIndex(where: { $0.name == parts[1] }) else {
                throw QueryError(
                    .unknownName,
                    "table '\(qualifier.table.name)' has no column '\(parts[1])' (columns: \(qualifier.table.columns.map(\.name).joined(separator: ", ")))",
                    at: at)
            }
            return qualifier.offset + index
        }
        let matches = self.qualifiers.compactMap { qualifier in
            qualifier.table.columns.firstIndex(where: { $0.name == name }).map {
                (qualifier.name, qualifier.offset + $0)
            }
        }
        guard matches.count <= 1 else {
            throw QueryError(
                .unknownName,
                "column '\(name)' is ambiguous: write \(matches.map { "\($0.0).\(name)" }.joined(separator: " or "))",
                at: at)
        }
        guard let match = matches.first else {
            let tables = self.qualifiers.map(\.table)
            throw QueryError(
                .unknownName,
                tables.count == 1
                    ? "table '\(tables[0].name)' has no column '\(name)' (columns: \(tables[0].columns.map(\.name).joined(separator: ", ")))"
                    : "no table of the join has a column '\(name)'",
                at: at)
        }
        return match.1
    }

    /// The stored column of the presence bits of column `index`, if it may be NULL.
    func presence(of index: Int) -> Int? { self.table.presence(of: index) }

    /// `expression` with every column named by its position, so that `e.field` and `field` compare equal.
    func canonical(_ expression: SQLExpression) throws -> SQLExpression {
        switch expression {
        case .column(let name, let at): return .column("#\(try self.resolve(name, at: at))", at)
        case .number, .string, .boolean: return expression
        case .unary(let op, let inner, let at): return .unary(op, try self.canonical(inner), at)
        case .binary(let op, let l, let r, let at): return .binary(op, try self.canonical(l), try self.canonical(r), at)
        case .between(let x, let low, let high, let negated, let at):
            return .between(
                try self.canonical(x), try self.canonical(low), try self.canonical(high), negated: negated, at)
        case .inList(let x, let list, let negated, let at):
            return .inList(try self.canonical(x), try list.map(self.canonical), negated: negated, at)
        case .caseWhen(let whens, let otherwise, let at):
            return .caseWhen(
                try whens.map {
                    SQLWhen(condition: try self.canonical($0.condition), result: try self.canonical($0.result))
                },
                otherwise: try otherwise.map(self.canonical), at)
        case .call(let name, let arguments, let star, let orderBy, let at):
            return .call(
                name, try arguments.map(self.canonical), star: star, orderBy: try orderBy.map(self.canonical), at)
        case .isNull(let inner, let negated, let at): return .isNull(try self.canonical(inner), negated: negated, at)
        }
    }

    /// Every value stays below this in magnitude.
    var valueLimit: Int128 { Int128(1) << self.domain.valueBits }
    /// Sums and n·Σx² that feed exact divisions stay below this.
    var momentLimit: Int128 { Int128(1) << self.domain.exactBits }

    func boolean(_ expression: SQLExpression, _ context: String) throws -> PlanExpression {
        let typed = try self.typed(expression)
        guard typed.kind == .boolean else {
            throw QueryError(
                .type, "\(context) must be a condition (true/false), not a \(typed.kind.name)", at: expression.position)
        }
        return typed.plan
    }

    func typed(_ expression: SQLExpression) throws -> Typed {
        switch expression {
        case .column(let name, let at):
            let index = try self.resolve(name, at: at)
            var typed: Typed
            switch self.table.columns[index].type {
            case .integer(let min, let max):
                typed = Typed(plan: .column(index), kind: .number(scale: 0), low: Int128(min), high: Int128(max))
            case .decimal(let scale, let min, let max):
                typed = Typed(
                    plan: .column(index), kind: .number(scale: scale), low: Int128(min.rescaled(scale)),
                    high: Int128(max.rescaled(scale)))
            case .category(let values):
                typed = Typed(plan: .column(index), kind: .category(values), low: 0, high: Int128(values.count - 1))
            case .boolean: typed = Typed(plan: .column(index), kind: .boolean, low: 0, high: 1)
            case .key:
                throw QueryError(.type, "column '\(name)' is a record-linkage key and cannot be computed on", at: at)
            }
            if let present = self.presence(of: index) {
                typed.present = .column(present)
                // A NULL boolean is not known to be true.
                if typed.kind == .boolean { typed.plan = .and(typed.plan, .column(present)) }
            }
            return typed
        case .number(let digits, let at):
            let scale = digits.firstIndex(of: ".").map { digits.distance(from: $0, to: digits.endIndex) - 1 } ?? 0
            guard scale <= 9, let units = Int64(digits.replacingOccurrences(of: ".", with: "")), units < 1 << 53 else {
                throw QueryError(
                    .overflow, "the number \(digits) is too large or too precise (at most 9 decimals)", at: at)
            }
            return Typed(plan: .constant(units), kind: .number(scale: scale), low: Int128(units), high: Int128(units))
        case .boolean(let value, _):
            return Typed(plan: .constant(value ? 1 : 0), kind: .boolean, low: value ? 1 : 0, high: value ? 1 : 0)
        case .string(let value, let at):
            throw QueryError(.type, "the string '\(value)' must be compared with a category column", at: at)
        case .unary("-", let inner, let at):
            let operand = try self.number(inner, "'-'", at)
            return Typed(
                plan: .subtract(.constant(0), operand.plan), kind: operand.kind, low: -operand.high, high: -operand.low,
                present: operand.present)
        case .unary(_, let inner, let at):  // NOT
            let operand = try self.typed(inner)
            guard operand.kind == .boolean else {
                throw QueryError(.type, "NOT needs a condition, not a \(operand.kind.name)", at: at)
            }
            return Logic.not(operand)
        case .binary(let op, let left, let right, let at):
            if op == "AND" || op == "OR" {
                let (l, r) = (try self.typed(left), try self.typed(right))
                guard l.kind == .boolean, r.kind == .boolean else {
                    throw QueryError(.type, "\(op) needs conditions on both sides", at: at)
                }
                return op == "AND" ? Logic.and(l, r) : Logic.or(l, r)
            }
            if ["+", "-", "*"].contains(op) {
                var (l, r) = (try self.number(left, "'\(op)'", at), try self.number(right, "'\(op)'", at))
                let present = Logic.both(l.present, r.present)
                if op == "*" {
                    // Operands are within ±2^63, so every corner product fits Int128.
                    let products = [l.low * r.low, l.low * r.high, l.high * r.low, l.high * r.high]
                    let result = Typed(
                        plan: .multiply(l.plan, r.plan), kind: .number(scale: l.scale + r.scale), low: products.min()!,
                        high: products.max()!, present: present)
                    return try self.bounded(result, at)
                }
                (l, r) = try self.aligned(l, r, at)
                let result =
                    op == "+"
                    ? Typed(
                        plan: .add(l.plan, r.plan), kind: l.kind, low: l.low + r.low, high: l.high + r.high,
                        present: present)
                    : Typed(
                        plan: .subtract(l.plan, r.plan), kind: l.kind, low: l.low - r.high, high: l.high - r.low,
                        present: present)
                return try self.bounded(result, at)
            }
            return try self.comparison(op, left, right, at)
        case .between(let value, let low, let high, let negated, let at):
            let inside = Logic.and(
                try self.comparison(">=", value, low, at), try self.comparison("<=", value, high, at))
            return negated ? Logic.not(inside) : inside
        case .inList(let value, let list, let negated, let at):
            var any: Typed? = nil
            for item in list {
                let equal = try self.comparison("=", value, item, at)
                any = any.map { Logic.or($0, equal) } ?? equal
            }
            return negated ? Logic.not(any!) : any!
        case .isNull(let inner, let negated, _):
            let operand = try self.typed(inner)
            guard let present = operand.present else {
                let value: Int64 = negated ? 1 : 0
                return Typed(plan: .constant(value), kind: .boolean, low: Int128(value), high: Int128(value))
            }
            return Typed(plan: negated ? present : .not(present), kind: .boolean, low: 0, high: 1)
        case .caseWhen(let whens, let otherwise, let at):
            var results = try whens.map { try self.typed($0.result) }
            // Without ELSE, CASE is NULL where no condition holds.
            var fallback =
                try otherwise.map { try self.typed($0) }
                ?? Typed(plan: .constant(0), kind: results[0].kind, low: 0, high: 0, present: .constant(0))
            if case .number = results[0].kind {
                let scale = (results + [fallback]).map(\.scale).max()!
                results = try results.map { try self.rescaled($0, to: scale, at) }
                fallback = try self.rescaled(fallback, to: scale, at)
            }
            guard results.allSatisfy({ $0.kind == fallback.kind }) else {
                throw QueryError(.type, "the branches of CASE have different types", at: at)
            }
            var plan = fallback.plan
            var low = fallback.low, high = fallback.high
            let mayBeNull = (results + [fallback]).contains { $0.present != nil }
            var present = fallback.present ?? .constant(1)
            for (when, result) in zip(whens, results).reversed() {
                let condition = try self.boolean(when.condition, "a WHEN condition")
                plan = .select(condition, result.plan, plan)
                if mayBeNull { present = .select(condition, result.present ?? .constant(1), present) }
                low = min(low, result.low)
                high = max(high, result.high)
            }
            return Typed(plan: plan, kind: fallback.kind, low: low, high: high, present: mayBeNull ? present : nil)
        case .call(let name, _, _, _, let at):
            throw QueryError(
                .type, "\(name.uppercased())(...) is not allowed here: aggregates only appear in the select list",
                at: at)
        }
    }

    private func number(_ expression: SQLExpression, _ context: String, _ at: SourcePosition) throws -> Typed {
        let typed = try self.typed(expression)
        guard case .number = typed.kind else {
            throw QueryError(.type, "\(context) needs numbers, not a \(typed.kind.name)", at: expression.position)
        }
        return typed
    }

    private func bounded(_ typed: Typed, _ at: SourcePosition) throws -> Typed {
        guard typed.magnitude < self.valueLimit else {
            throw QueryError(
                .overflow,
                "this expression can reach \(typed.magnitude) (in units of 10^-\(typed.scale)), beyond the engine's ±2^\(self.domain.valueBits)",
                at: at)
        }
        return typed
    }

    private func rescaled(_ typed: Typed, to scale: Int, _ at: SourcePosition) throws -> Typed {
        guard typed.scale < scale else { return typed }
        let factor = ExactBound.power10(scale - typed.scale)
        guard let low = ExactBound.product(typed.low, factor), let high = ExactBound.product(typed.high, factor),
            factor <= Int128(Int64.max)
        else {
            throw QueryError(
                .overflow, "rescaling this expression to \(scale) decimals leaves the engine's integers", at: at)
        }
        return try self.bounded(
            Typed(plan: .scale(typed.plan, Int64(factor)), kind: .number(scale: scale), low: low, high: high), at)
    }

    private func aligned(_ l: Typed, _ r: Typed, _ at: SourcePosition) throws -> (Typed, Typed) {
        let scale = max(l.scale, r.scale)
        return (try self.rescaled(l, to: scale, at), try self.rescaled(r, to: scale, at))
    }

    private func comparison(_ op: String, _ left: SQLExpression, _ right: SQLExpression, _ at: SourcePosition) throws
        -> Typed
    {
        var l = try self.typed(left)
        var r: Typed
        if case .category(let values) = l.kind {
            guard case .string(let value, let position) = right else {
                throw QueryError(.type, "a category is compared with one of its values in quotes", at: right.position)
            }
            guard let index = values.firstIndex(of: value) else {
                throw QueryError(
                    .unknownName,
                    "'\(value)' is not a value of this category (values: \(values.joined(separator: ", ")))",
                    at: position)
            }
            guard op == "=" || op == "<>" else {
                throw QueryError(.type, "categories are compared with = or <> only", at: at)
            }
            r = Typed(plan: .constant(Int64(index)), kind: l.kind, low: Int128(index), high: Int128(index))
        } else {
            r = try self.typed(right)
            if l.kind == .boolean, r.kind == .boolean, op == "=" || op == "<>" {
                // fine: 0/1 values
            } else {
                guard case .number = l.kind, case .number = r.kind else {
                    throw QueryError(
                        .type,
                        "'\(op)' compares numbers (or a category with a value), not a \(l.kind.name) with a \(r.kind.name)",
                        at: at)
                }
                (l, r) = try self.aligned(l, r, at)
            }
        }
        let bits = Self.comparisonBits(l, r)
        guard bits <= self.domain.comparisonBits else {
            throw QueryError(
                .overflow,
                "the two sides of '\(op)' differ by more than the engine can compare (\(self.domain.comparisonBits) bits)",
                at: at)
        }
        var plan: PlanExpression
        switch op {
        case "<": plan = .less(l.plan, r.plan, bits: bits)
        case ">": plan = .less(r.plan, l.plan, bits: bits)
        case "<=": plan = .not(.less(r.plan, l.plan, bits: bits))
        case ">=": plan = .not(.less(l.plan, r.plan, bits: bits))
        case "=": plan = .equal(l.plan, r.plan, bits: bits)
        default: plan = .not(.equal(l.plan, r.plan, bits: bits))
        }
        // A comparison with NULL is NULL: known (true or false) only where both sides are.
        let present = Logic.both(l.present, r.present)
        if let present { plan = .and(plan, present) }
        return Typed(plan: plan, kind: .boolean, low: 0, high: 1, present: present)
    }

    /// Bits for comparing l and r: their difference d has |d| < 2^(bits − 1) with a bit to spare — ⌈log₂(max |d| + 1)⌉
    /// + 2, at least 2.
    static func comparisonBits(_ l: Typed, _ r: Typed) -> Int {
        let spread = max(abs(l.high - r.low), abs(r.high - l.low)) + 1
        return max(2, ExactBound.ceilLog2(spread) + 2)
    }

    func groupKey(_ expression: SQLExpression) throws -> QueryPlan.GroupKey {
        if case .call(let name, let arguments, false, nil, let at) = expression, name.lowercased() == "width_bucket" {
            guard arguments.count == 4 else {
                throw QueryError(.type, "WIDTH_BUCKET takes (value, low, high, count)", at: at)
            }
            let value = try self.number(arguments[0], "WIDTH_BUCKET", at)
            var constants: [(units: Int64, scale: Int)] = []
            for argument in arguments[1...] {
                let typed = try self.typed(argument)
                guard case .constant(let units) = typed.plan, case .number(let scale) = typed.kind else {
                    throw QueryError(
                        .type, "WIDTH_BUCKET's low, high and count must be number literals", at: argument.position)
                }
                constants.append((units, scale))
            }
            guard constants[2].scale == 0, (1...1000).contains(constants[2].units) else {
                throw QueryError(
                    .type, "WIDTH_BUCKET's count must be an integer from 1 to 1000", at: arguments[3].position)
            }
            let scale = max(value.scale, constants[0].scale, constants[1].scale)
            let scaledValue = try self.rescaled(value, to: scale, at)
            // Literals are below 2^53 and at most 9 decimals: these fit Int64.
            let low = constants[0].units * Int64(ExactBound.power10(scale - constants[0].scale))
            let high = constants[1].units * Int64(ExactBound.power10(scale - constants[1].scale))
            let count = constants[2].units
            guard low < high else { throw QueryError(.type, "WIDTH_BUCKET needs low < high", at: at) }
            // bucket = #{i in 0...count : x ≥ b_i}, b_i = low + i(high − low)/count; for scaled integers x ≥ b ⇔ x ≥ ⌈b⌉.
            var index: PlanExpression = .constant(0)
            for i in 0...count {
                let numerator = low * count + i * (high - low)
                let boundary = numerator >= 0 ? (numerator + count - 1) / count : -((-numerator) / count)
                let bound = Typed(
                    plan: .constant(boundary), kind: .number(scale: scale), low: Int128(boundary),
                    high: Int128(boundary))
                index = .add(
                    index, .not(.less(scaledValue.plan, bound.plan, bits: Self.comparisonBits(scaledValue, bound))))
            }
            return Self.groupKey(
                index, labels: (0...count + 1).map { .integer($0) }, present: value.present, expression)
        }
        let typed = try self.typed(expression)
        switch typed.kind {
        case .category(let values):
            return Self.groupKey(typed.plan, labels: values.map { .text($0) }, present: typed.present, expression)
        case .boolean:
            return Self.groupKey(
                typed.plan, labels: [.boolean(false), .boolean(true)], present: typed.present, expression)
        case .number:
            throw QueryError(
                .type, "GROUP BY needs a public domain: a category, a boolean, or WIDTH_BUCKET(x, low, high, count)",
                at: expression.position)
        }
    }

    /// A key over `labels`, and where the value may be NULL one more group, labelled NULL, last (SQL's GROUP BY puts
    /// the NULLs in a group of their own).
    static func groupKey(
        _ index: PlanExpression, labels: [ResultValue], present: PlanExpression?, _ source: SQLExpression
    ) -> QueryPlan.GroupKey {
        guard let present else { return .init(index: index, labels: labels, source: source) }
        return .init(
            index: .select(present, index, .constant(Int64(labels.count))), labels: labels + [nil], source: source)
    }

    func groupType(_ key: QueryPlan.GroupKey) -> String {
        switch key.labels.first ?? nil {
        case .text: return "category"
        case .boolean: return "boolean"
        default: return "integer"
        }
    }

    func aggregate(
        _ name: String, _ arguments: [SQLExpression], star: Bool, orderBy: SQLExpression?, at: SourcePosition,
        rows: Int128
    ) throws -> (QueryPlan.Aggregate, String) {
        let kinds: [String: QueryPlan.AggregateKind] = [
            "count": .count, "sum": .sum, "avg": .avg, "min": .min, "max": .max, "var_pop": .varPop,
            "var_samp": .varSamp,
            "variance": .varSamp, "stddev_pop": .stddevPop, "stddev_samp": .stddevSamp, "stddev": .stddevSamp,
        ]
        let pairs: [String: QueryPlan.AggregateKind] = [
            "covar_pop": .covarPop, "covar_samp": .covarSamp, "corr": .corr, "regr_slope": .regrSlope,
            "regr_intercept": .regrIntercept, "regr_r2": .regrR2,
        ]
        if let kind = pairs[name] {
            return try self.pairAggregate(kind, name, arguments, orderBy: orderBy, at: at, rows: rows)
        }
        if ["percentile_cont", "percentile_disc", "median"].contains(name) {
            return try self.percentile(name, arguments, orderBy: orderBy, at: at, rows: rows)
        }
        guard let kind = kinds[name] else {
            let known = (Array(kinds.keys) + Array(pairs.keys) + ["percentile_cont", "percentile_disc", "median"])
                .sorted()
            throw QueryError(
                .unknownName,
                "unknown aggregate \(name.uppercased()) (consort-sql/1 has \(known.map { $0.uppercased() }.joined(separator: ", ")))",
                at: at)
        }
        if kind == .count, star { return (.init(kind: .count, argument: nil, scale: 0), "integer") }
        guard arguments.count == 1, orderBy == nil, !star else {
            throw QueryError(.type, "\(name.uppercased()) takes one argument", at: at)
        }
        if kind == .count {
            // Any type; COUNT(x) counts the rows where x is not NULL (COUNT(*) where it never is).
            var count = QueryPlan.Aggregate(kind: .count, argument: nil, scale: 0)
            count.presence = try self.typed(arguments[0]).present
            return (count, "integer")
        }
        let argument = try self.number(arguments[0], name.uppercased(), at)
        // Sums, and for the second moments n·Σ(x − low)², must stay in range over maxRows rows.
        let span = argument.high - argument.low
        guard ExactBound.below(ExactBound.product(kind == .avg ? span : argument.magnitude, rows), self.momentLimit)
        else {
            throw QueryError(
                .overflow,
                "SUM over \(rows) rows of a value up to \(argument.magnitude) (in units of 10^-\(argument.scale)) can overflow the engine's integers",
                at: at)
        }
        // Second moments: n²·span² must fit an exact division, and n² must leave the variance 8 fraction bits.
        if kind.isSecondMoment,
            !ExactBound.below(ExactBound.product(span, span, rows, rows), self.momentLimit)
                || ExactBound.bitLength(rows) > (self.domain.exactBits - 8) / 2
        {
            throw QueryError(
                .overflow,
                "\(name.uppercased()) over \(rows) rows of values spanning \(span) (in units of 10^-\(argument.scale)) needs n²·span² beyond 2^\(self.domain.exactBits): the engine's integers cannot hold its exact second moments (a wider ring is future work)",
                at: at)
        }
        let type: String
        switch kind {
        case .sum, .min, .max: type = argument.scale == 0 ? "integer" : "decimal"
        default: type = "real"
        }
        let shifted =
            argument.low == 0 || [.sum, .min, .max].contains(kind)
            ? argument.plan : .subtract(argument.plan, .constant(Int64(argument.low)))
        var aggregate = QueryPlan.Aggregate(
            kind: kind, argument: kind == .avg || kind.isSecondMoment ? shifted : argument.plan,
            scale: argument.scale, low: Int64(argument.low), high: Int64(argument.high))
        aggregate.presence = argument.present
        return (aggregate, type)
    }
}

extension Scope {
    /// `PERCENTILE_CONT(q) / PERCENTILE_DISC(q) WITHIN GROUP (ORDER BY x)` and `MEDIAN(x)`; q a literal in [0, 1].
    func percentile(
        _ name: String, _ arguments: [SQLExpression], orderBy: SQLExpression?, at: SourcePosition,
        rows: Int128
    ) throws -> (QueryPlan.Aggregate, String) {
        let valueExpression: SQLExpression
        var fraction = (numerator: Int64(1), denominator: Int64(2))
        if name == "median" {
            guard arguments.count == 1, orderBy == nil else {
                throw QueryError(.type, "MEDIAN takes one argument", at: at)
            }
            valueExpression = arguments[0]
        } else {
            guard arguments.count == 1, let orderBy else {
                throw QueryError(
                    .type, "\(name.uppercased()) is written \(name.uppercased())(q) WITHIN GROUP (ORDER BY x)", at: at)
            }
            guard case .number(let digits, let position) = arguments[0] else {
                throw QueryError(
                    .type, "the fraction of \(name.uppercased()) must be a number literal from 0 to 1",
                    at: arguments[0].position)
            }
            let typed = try self.typed(arguments[0])
            let denominator = Int64(ExactBound.power10(typed.scale))
            guard case .constant(let units) = typed.plan, units >= 0, units <= denominator else {
                throw QueryError(
                    .type, "the fraction \(digits) of \(name.uppercased()) must be from 0 to 1", at: position)
            }
            fraction = (units, denominator)
            valueExpression = orderBy
        }
        let typed = try self.typed(valueExpression)
        guard case .number = typed.kind else {
            throw QueryError(
                .type, "\(name.uppercased()) needs numbers, not a \(typed.kind.name)", at: valueExpression.position)
        }
        let span = typed.high - typed.low
        // Sorting by (group, value) packs both into one key of the engine's integers with the row index: at most
        // 2^24 rows.
        guard ExactBound.below(ExactBound.product(span, Int128(fraction.denominator), 2), self.momentLimit),
            rows < 1 << 24
        else {
            throw QueryError(
                .overflow,
                "\(name.uppercased()) of values spanning \(span) with a fraction of \(fraction.denominator) parts cannot be interpolated in the ring",
                at: at)
        }
        let kind: QueryPlan.AggregateKind = name == "percentile_disc" ? .percentileDisc : .percentileCont
        var aggregate = QueryPlan.Aggregate(
            kind: kind, argument: .subtract(typed.plan, .constant(Int64(typed.low))), scale: typed.scale,
            low: Int64(typed.low), high: Int64(typed.high))
        aggregate.fraction = fraction
        aggregate.presence = typed.present
        return (aggregate, kind == .percentileDisc ? (typed.scale == 0 ? "integer" : "decimal") : "real")
    }
}

extension Scope {
    /// COVAR_POP, COVAR_SAMP, CORR, REGR_SLOPE, REGR_INTERCEPT, REGR_R2 of (Y, X). Their exact moments
    /// (C = nΣxy − ΣxΣy, n·Σx² − (Σx)², …) must fit the ring over maxRows rows; REGR_INTERCEPT also needs
    /// n·(ΣY·Dx − C·ΣX) and n·Dx.
    func pairAggregate(
        _ kind: QueryPlan.AggregateKind, _ name: String, _ arguments: [SQLExpression], orderBy: SQLExpression?,
        at: SourcePosition, rows: Int128
    ) throws -> (QueryPlan.Aggregate, String) {
        guard arguments.count == 2, orderBy == nil else {
            throw QueryError(.type, "\(name.uppercased()) takes two arguments (Y, X)", at: at)
        }
        let y = try self.typed(arguments[0]), x = try self.typed(arguments[1])
        for (typed, expression) in [(y, arguments[0]), (x, arguments[1])] {
            guard case .number = typed.kind else {
                throw QueryError(
                    .type, "\(name.uppercased()) needs numbers, not a \(typed.kind.name)", at: expression.position)
            }
        }
        let (sy, sx) = (y.high - y.low, x.high - x.low)
        var needed = [ExactBound.product(rows, rows, sx, sy), ExactBound.product(rows, rows, sx, sx)]
        if kind == .corr || kind == .regrR2 { needed.append(ExactBound.product(rows, rows, sy, sy)) }
        if kind == .regrIntercept {
            let inner = ExactBound.product(y.magnitude, sx).flatMap { a in
                ExactBound.product(sy, x.magnitude).flatMap { ExactBound.sum(a, $0) }
            }
            needed.append(inner.flatMap { ExactBound.product(rows, rows, rows, sx, $0) })
            needed.append(ExactBound.product(rows, rows, rows, sx, sx))
        }
        needed += [ExactBound.product(2, rows, rows, sx, sx), ExactBound.product(2, rows, rows, sy, sy)]
        guard needed.allSatisfy({ ExactBound.below($0, self.momentLimit) }) else {
            throw QueryError(
                .overflow,
                "\(name.uppercased()) over \(rows) rows of these ranges needs exact moments beyond 2^\(self.domain.exactBits): the engine's integers cannot hold them (a wider ring is future work)",
                at: at)
        }
        var aggregate = QueryPlan.Aggregate(
            kind: kind, argument: .subtract(y.plan, .constant(Int64(y.low))), scale: y.scale,
            low: Int64(y.low), high: Int64(y.high))
        aggregate.presence = Logic.both(y.present, x.present)
        aggregate.second = .subtract(x.plan, .constant(Int64(x.low)))
        aggregate.secondScale = x.scale
        aggregate.secondLow = Int64(x.low)
        aggregate.secondHigh = Int64(x.high)
        return (aggregate, "real")
    }
}

extension QueryPlan.AggregateKind {
    var isPercentile: Bool { self == .percentileCont || self == .percentileDisc }
    var isPair: Bool { [.covarPop, .covarSamp, .corr, .regrSlope, .regrIntercept, .regrR2].contains(self) }

    var isSecondMoment: Bool { [.varPop, .varSamp, .stddevPop, .stddevSamp].contains(self) }
}

extension Typed.Kind {
    var name: String {
        switch self {
        case .number: return "number"
        case .boolean: return "condition"
        case .category: return "category"
        }
    }
}

extension FixedDecimal {
    /// Units at `scale` (≥ self.scale).
    func rescaled(_ scale: Int) -> Int64 { self.units * Int64(ExactBound.power10(scale - self.scale)) }
}

extension SQLExpression {
    /// Structural equality ignoring positions: a select item that repeats a GROUP BY expression.
    func sameShape(as other: SQLExpression) -> Bool { self.shape == other.shape }

    /// The expression as text without positions.
    var shape: String {
        switch self {
        case .call(let name, let arguments, let star, _, _):
            return "\(name)(\(star ? "*" : arguments.map(\.shape).joined(separator: ", ")))"
        case .unary(let op, let inner, _): return "\(op) \(inner.shape)"
        case .binary(let op, let l, let r, _): return "(\(l.shape) \(op) \(r.shape))"
        case .isNull(let inner, let negated, _): return "(\(inner.shape) IS \(negated ? "NOT " : "")NULL)"
        default: return self.defaultName
        }
    }

    var defaultName: String {
        switch self {
        case .column(let name, _): return String(name.split(separator: ".").last ?? Substring(name))
        case .number(let digits, _): return digits
        case .string(let value, _): return "'\(value)'"
        case .boolean(let value, _): return value ? "true" : "false"
        case .unary(let op, let inner, _): return "\(op) \(inner.defaultName)"
        case .binary(let op, let l, let r, _): return "(\(l.defaultName) \(op) \(r.defaultName))"
        case .call(let name, let arguments, let star, _, _):
            _ = (arguments, star)
            return name  // PostgreSQL names an unaliased call after the function
        default: return "?column?"
        }
    }
}
