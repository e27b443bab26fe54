/// The syntax tree of a consort-sql/1 query, as written (names resolved later by `QueryChecker`).
indirect enum SQLExpression: Hashable, Sendable {
    case column(String, SourcePosition)
    case number(String, SourcePosition)
    case string(String, SourcePosition)
    case boolean(Bool, SourcePosition)
    /// `-x` or `NOT x`.
    case unary(String, SQLExpression, SourcePosition)
    /// `+ - * = <> < <= > >= AND OR`.
    case binary(String, SQLExpression, SQLExpression, SourcePosition)
    case between(SQLExpression, SQLExpression, SQLExpression, negated: Bool, SourcePosition)
    case inList(SQLExpression, [SQLExpression], negated: Bool, SourcePosition)
    case caseWhen([SQLWhen], otherwise: SQLExpression?, SourcePosition)
    /// A function call; `star` for `COUNT(*)`; `orderBy` for `... WITHIN GROUP (ORDER BY x)`.
    case call(String, [SQLExpression], star: Bool, orderBy: SQLExpression?, SourcePosition)
    /// `x IS NULL`, `x IS NOT NULL`.
    case isNull(SQLExpression, negated: Bool, SourcePosition)

    var position: SourcePosition {
        switch self {
        case .column(_, let p), .number(_, let p), .string(_, let p), .boolean(_, let p), .unary(_, _, let p),
            .binary(_, _, _, let p), .between(_, _, _, _, let p), .inList(_, _, _, let p), .caseWhen(_, _, let p),
            .call(_, _, _, _, let p), .isNull(_, _, let p):
            return p
        }
    }
}

struct SQLWhen: Hashable, Sendable {
    var condition: SQLExpression
    var result: SQLExpression
}

/// `SELECT items FROM table [alias] [JOIN table [alias] ON a.key = b.key] [WHERE predicate] [GROUP BY keys]`.
struct SQLSelect: Hashable, Sendable {
    struct Item: Hashable, Sendable {
        var expression: SQLExpression
        var alias: String?
    }

    /// A table named in FROM or JOIN, with the alias columns may be qualified by (the table's name if none).
    struct TableReference: Hashable, Sendable {
        var name: String
        var alias: String?
        var position: SourcePosition

        var qualifier: String { self.alias ?? self.name }
    }

    /// `JOIN table ON left = right`.
    struct Join: Hashable, Sendable {
        var table: TableReference
        var left: SQLExpression
        var right: SQLExpression
        var position: SourcePosition
    }

    var items: [Item]
    var from: TableReference
    var join: Join?
    var predicate: SQLExpression?
    var groupBy: [SQLExpression]
}
