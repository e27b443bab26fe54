/// An error in a consort-sql/1 query, its input data, or its evaluation, with where it happened when known.
///
/// Equality compares the code only; `description` names the problem and where (line:column, or file:line:column).
package struct QueryError: Error, Hashable, CustomStringConvertible {
    package enum Code: String, Hashable, Sendable {
        /// The text is not consort-sql/1.
        case syntax
        /// A name that the CTS does not declare (table, column, category value, function).
        case unknownName
        /// An operand or argument of the wrong type.
        case type
        /// An intermediate value could leave the engine's integers (`ValueDomain`).
        case overflow
        /// Valid SQL that consort-sql/1 (or this build) does not support.
        case unsupported
        /// An input file or value does not match the table's data model.
        case invalidData
        /// A quality rule with `onFailure: abort` failed.
        case qualityAbort
    }

    package var code: Code
    package var message: String
    package var line: Int?
    package var column: Int?

    package init(_ code: Code, _ message: String, line: Int? = nil, column: Int? = nil) {
        self.code = code
        self.message = message
        self.line = line
        self.column = column
    }

    init(_ code: Code, _ message: String, at position: SourcePosition?) {
        self.init(code, message, line: position?.line, column: position?.column)
    }

    package var description: String {
        guard let line else { return self.message }
        return "\(line):\(self.column ?? 0): \(self.message)"
    }

    package static func == (lhs: QueryError, rhs: QueryError) -> Bool { lhs.code == rhs.code }
    package func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}

/// A 1-based line and column in the query text.
package struct SourcePosition: Hashable, Sendable, CustomStringConvertible {
    package var line: Int
    package var column: Int
    package var description: String { "\(self.line):\(self.column)" }
}
