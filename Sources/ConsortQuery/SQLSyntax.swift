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

    var position: SourcePosition {
        switch self {
        case .column(_, let p), .number(_, let p), .string(_, let p), .boolean(_, let p), .unary(_, _, let p),
            .binary(_, _, _, let p), .between(_, _, _, _, let p), .inList(_, _, _, let p), .caseWhen(_, _, let p),
            .call(_, _, _, _, let p):
            return p
        }
    }
}

struct SQLWhen: Hashable, Sendable {
    var condition: SQLExpression
    var result: SQLExpression
}

/// `SELECT items FROM table [WHERE predicate] [GROUP BY keys]`.
struct SQLSelect: Hashable, Sendable {
    struct Item: Hashable, Sendable {
        var expression: SQLExpression
        var alias: String?
    }

    var items: [Item]
    var table: String
    var tablePosition: SourcePosition
    var predicate: SQLExpression?
    var groupBy: [SQLExpression]
}
