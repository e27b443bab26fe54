/// A recursive-descent parser for consort-sql/1 (grammar: `Specs/consort-sql.md`). Errors point at the offending
/// token and say what was expected there.
struct SQLParser {
    private var tokens: [SQLToken]
    private var index = 0

    private init(_ tokens: [SQLToken]) { self.tokens = tokens }

    static func parseQuery(_ text: String) throws -> SQLSelect {
        var parser = SQLParser(try SQLToken.tokenize(text))
        let select = try parser.select()
        parser.skip(symbol: ";")
        try parser.expectEnd("after the query")
        return select
    }

    /// A standalone predicate (a quality rule).
    static func parseExpression(_ text: String) throws -> SQLExpression {
        var parser = SQLParser(try SQLToken.tokenize(text))
        let expression = try parser.expression()
        try parser.expectEnd("after the expression")
        return expression
    }

    // MARK: Tokens

    private var current: SQLToken { self.tokens[self.index] }

    private mutating func next() -> SQLToken {
        defer { if self.index < self.tokens.count - 1 { self.index += 1 } }
        return self.current
    }

    private func fail(_ expected: String) -> QueryError {
        QueryError(.syntax, "expected \(expected), found \(self.current.text)", at: self.current.position)
    }

    private mutating func accept(keyword: String) -> Bool {
        if case .keyword(keyword) = self.current.kind { _ = self.next(); return true }
        return false
    }

    private mutating func expect(keyword: String, _ context: String = "") throws {
        guard self.accept(keyword: keyword) else { throw self.fail("\(keyword)\(context)") }
    }

    private mutating func accept(symbol: String) -> Bool {
        if case .symbol(symbol) = self.current.kind { _ = self.next(); return true }
        return false
    }

    private mutating func skip(symbol: String) { _ = self.accept(symbol: symbol) }

    private mutating func expect(symbol: String, _ context: String = "") throws {
        guard self.accept(symbol: symbol) else { throw self.fail("'\(symbol)'\(context)") }
    }

    private mutating func expectEnd(_ context: String) throws {
        guard case .end = self.current.kind else { throw self.fail("the end of the text \(context)") }
    }

    private mutating func identifier(_ what: String) throws -> (String, SourcePosition) {
        guard case .identifier(let name) = self.current.kind else { throw self.fail(what) }
        let position = self.next().position
        return (name, position)
    }

    // MARK: Grammar

    private mutating func select() throws -> SQLSelect {
        try self.expect(keyword: "SELECT", " at the start of the query")
        var items: [SQLSelect.Item] = []
        repeat {
            let expression = try self.expression()
            var alias: String? = nil
            if self.accept(keyword: "AS") {
                alias = try self.identifier("an output column name after AS").0
            } else if case .identifier(let name) = self.current.kind {
                alias = name
                _ = self.next()
            }
            items.append(SQLSelect.Item(expression: expression, alias: alias))
        } while self.accept(symbol: ",")
        try self.expect(keyword: "FROM", " or ',' after the select list")
        let from = try self.tableReference("a table name after FROM")
        var join: SQLSelect.Join? = nil
        let joinPosition = self.current.position
        let inner = self.accept(keyword: "INNER")
        if inner || self.accept(keyword: "JOIN") {
            if inner { try self.expect(keyword: "JOIN", " after INNER") }
            let table = try self.tableReference("a table name after JOIN")
            try self.expect(keyword: "ON", " after the joined table")
            let condition = try self.expression()
            guard case .binary("=", let left, let right, _) = condition else {
                throw QueryError(
                    .unsupported, "a join's ON condition must be one equality of key columns (a.key = b.key)",
                    at: condition.position)
            }
            join = SQLSelect.Join(table: table, left: left, right: right, position: joinPosition)
        }
        var predicate: SQLExpression? = nil
        if self.accept(keyword: "WHERE") { predicate = try self.expression() }
        var groupBy: [SQLExpression] = []
        if self.accept(keyword: "GROUP") {
            try self.expect(keyword: "BY", " after GROUP")
            repeat { groupBy.append(try self.expression()) } while self.accept(symbol: ",")
        }
        return SQLSelect(items: items, from: from, join: join, predicate: predicate, groupBy: groupBy)
    }

    /// `name [[AS] alias]`.
    private mutating func tableReference(_ what: String) throws -> SQLSelect.TableReference {
        let (name, position) = try self.identifier(what)
        var alias: String? = nil
        if self.accept(keyword: "AS") {
            alias = try self.identifier("an alias after AS").0
        } else if case .identifier(let name) = self.current.kind {
            alias = name
            _ = self.next()
        }
        return SQLSelect.TableReference(name: name, alias: alias, position: position)
    }

    mutating func expression() throws -> SQLExpression { try self.disjunction() }

    private mutating func disjunction() throws -> SQLExpression {
        var left = try self.conjunction()
        while case .keyword("OR") = self.current.kind {
            let position = self.next().position
            left = .binary("OR", left, try self.conjunction(), position)
        }
        return left
    }

    private mutating func conjunction() throws -> SQLExpression {
        var left = try self.negation()
        while case .keyword("AND") = self.current.kind {
            let position = self.next().position
            left = .binary("AND", left, try self.negation(), position)
        }
        return left
    }

    private mutating func negation() throws -> SQLExpression {
        if case .keyword("NOT") = self.current.kind {
            let position = self.next().position
            return .unary("NOT", try self.negation(), position)
        }
        return try self.comparison()
    }

    private mutating func comparison() throws -> SQLExpression {
        let left = try self.additive()
        let position = self.current.position
        if case .symbol(let op) = self.current.kind, ["=", "<>", "<", "<=", ">", ">="].contains(op) {
            _ = self.next()
            return .binary(op, left, try self.additive(), position)
        }
        if self.accept(keyword: "IS") {
            let negated = self.accept(keyword: "NOT")
            try self.expect(keyword: "NULL", " after IS\(negated ? " NOT" : "")")
            return .isNull(left, negated: negated, position)
        }
        let negated = self.accept(keyword: "NOT")
        if self.accept(keyword: "BETWEEN") {
            let low = try self.additive()
            try self.expect(keyword: "AND", " in BETWEEN ... AND ...")
            return .between(left, low, try self.additive(), negated: negated, position)
        }
        if self.accept(keyword: "IN") {
            try self.expect(symbol: "(", " after IN")
            var values: [SQLExpression] = []
            repeat { values.append(try self.additive()) } while self.accept(symbol: ",")
            try self.expect(symbol: ")", " or ',' in the IN list")
            return .inList(left, values, negated: negated, position)
        }
        if negated { throw self.fail("BETWEEN or IN after NOT") }
        return left
    }

    private mutating func additive() throws -> SQLExpression {
        var left = try self.multiplicative()
        while case .symbol(let op) = self.current.kind, op == "+" || op == "-" {
            let position = self.next().position
            left = .binary(op, left, try self.multiplicative(), position)
        }
        return left
    }

    private mutating func multiplicative() throws -> SQLExpression {
        var left = try self.unary()
        while case .symbol(let op) = self.current.kind, op == "*" || op == "/" {
            let position = self.next().position
            if op == "/" {
                throw QueryError(
                    .unsupported, "'/' is not part of consort-sql/1: use AVG or the statistical aggregates",
                    at: position)
            }
            left = .binary(op, left, try self.unary(), position)
        }
        return left
    }

    private mutating func unary() throws -> SQLExpression {
        if case .symbol("-") = self.current.kind {
            let position = self.next().position
            return .unary("-", try self.unary(), position)
        }
        if case .symbol("+") = self.current.kind { _ = self.next() }
        return try self.primary()
    }

    private mutating func primary() throws -> SQLExpression {
        let token = self.current
        switch token.kind {
        case .number(let digits):
            _ = self.next()
            return .number(digits, token.position)
        case .string(let value):
            _ = self.next()
            return .string(value, token.position)
        case .keyword("TRUE"), .keyword("FALSE"):
            _ = self.next()
            return .boolean(token.kind == .keyword("TRUE"), token.position)
        case .keyword("CASE"):
            _ = self.next()
            var whens: [SQLWhen] = []
            while self.accept(keyword: "WHEN") {
                let condition = try self.expression()
                try self.expect(keyword: "THEN", " after the WHEN condition")
                whens.append(SQLWhen(condition: condition, result: try self.expression()))
            }
            guard !whens.isEmpty else { throw self.fail("WHEN after CASE") }
            let otherwise = self.accept(keyword: "ELSE") ? try self.expression() : nil
            try self.expect(keyword: "END", " to close CASE")
            return .caseWhen(whens, otherwise: otherwise, token.position)
        case .symbol("("):
            _ = self.next()
            let inner = try self.expression()
            try self.expect(symbol: ")", " to close '('")
            return inner
        case .identifier(let name):
            _ = self.next()
            if self.accept(symbol: ".") {
                let (column, _) = try self.identifier("a column name after '\(name).'")
                return .column("\(name).\(column)", token.position)
            }
            guard self.accept(symbol: "(") else { return .column(name, token.position) }
            var arguments: [SQLExpression] = []
            var star = false
            if self.accept(symbol: "*") {
                star = true
            } else if !self.accept(symbol: ")") {
                repeat { arguments.append(try self.expression()) } while self.accept(symbol: ",")
                try self.expect(symbol: ")", " or ',' in the arguments of \(name.uppercased())")
                return try self.withinGroup(name, arguments, token.position)
            } else {
                return try self.withinGroup(name, arguments, token.position)
            }
            try self.expect(symbol: ")", " after '*'")
            return .call(name, arguments, star: star, orderBy: nil, token.position)
        default:
            throw self.fail("a column, a number, a string, CASE or '('")
        }
    }

    private mutating func withinGroup(_ name: String, _ arguments: [SQLExpression], _ position: SourcePosition) throws
        -> SQLExpression
    {
        guard self.accept(keyword: "WITHIN") else { return .call(name, arguments, star: false, orderBy: nil, position) }
        try self.expect(keyword: "GROUP", " after WITHIN")
        try self.expect(symbol: "(", " after WITHIN GROUP")
        try self.expect(keyword: "ORDER", " in WITHIN GROUP (ORDER BY ...)")
        try self.expect(keyword: "BY", " after ORDER")
        let order = try self.expression()
        try self.expect(symbol: ")", " to close WITHIN GROUP")
        return .call(name, arguments, star: false, orderBy: order, position)
    }
}
