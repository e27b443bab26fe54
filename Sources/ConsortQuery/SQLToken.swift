/// A lexical token of consort-sql/1.
struct SQLToken: Hashable, Sendable {
    enum Kind: Hashable, Sendable {
        case identifier(String)  // lower-cased unless quoted
        case keyword(String)  // upper-cased
        case number(String)
        case string(String)
        case symbol(String)
        case end
    }

    var kind: Kind
    var position: SourcePosition

    var text: String {
        switch self.kind {
        case .identifier(let name): return name
        case .keyword(let word): return word
        case .number(let digits): return digits
        case .string(let value): return "'\(value)'"
        case .symbol(let symbol): return symbol
        case .end: return "end of query"
        }
    }

    static let keywords: Set<String> = [
        "SELECT", "FROM", "WHERE", "GROUP", "BY", "AS", "AND", "OR", "NOT", "BETWEEN", "IN", "CASE", "WHEN", "THEN",
        "ELSE", "END", "WITHIN", "ORDER", "TRUE", "FALSE", "NULL", "IS", "JOIN", "INNER", "ON",
    ]

    /// Splits `text` into tokens; `--` comments and whitespace are skipped.
    static func tokenize(_ text: String) throws -> [SQLToken] {
        var tokens: [SQLToken] = []
        let scalars = Array(text.unicodeScalars)
        var index = 0
        var line = 1
        var column = 1
        func advance() {
            if scalars[index] == "\n" { line += 1; column = 1 } else { column += 1 }
            index += 1
        }
        while index < scalars.count {
            let c = scalars[index]
            let position = SourcePosition(line: line, column: column)
            if c.properties.isWhitespace { advance(); continue }
            if c == "-", index + 1 < scalars.count, scalars[index + 1] == "-" {
                while index < scalars.count, scalars[index] != "\n" { advance() }
                continue
            }
            if c.properties.isAlphabetic || c == "_" {
                var word = ""
                while index < scalars.count,
                    scalars[index].properties.isAlphabetic || scalars[index] == "_"
                        || ("0"..."9").contains(scalars[index])
                {
                    word.unicodeScalars.append(scalars[index]); advance()
                }
                let upper = word.uppercased()
                tokens.append(
                    SQLToken(
                        kind: keywords.contains(upper) ? .keyword(upper) : .identifier(word.lowercased()),
                        position: position))
            } else if c == "\"" {
                advance()
                var name = ""
                while index < scalars.count, scalars[index] != "\"" {
                    name.unicodeScalars.append(scalars[index]); advance()
                }
                guard index < scalars.count else {
                    throw QueryError(.syntax, "unterminated quoted identifier", at: position)
                }
                advance()
                tokens.append(SQLToken(kind: .identifier(name), position: position))
            } else if ("0"..."9").contains(c)
                || (c == "." && index + 1 < scalars.count && ("0"..."9").contains(scalars[index + 1]))
            {
                var digits = ""
                var seenPoint = false
                while index < scalars.count,
                    ("0"..."9").contains(scalars[index]) || (scalars[index] == "." && !seenPoint)
                {
                    if scalars[index] == "." { seenPoint = true }
                    digits.unicodeScalars.append(scalars[index]); advance()
                }
                if index < scalars.count, scalars[index].properties.isAlphabetic {
                    throw QueryError(
                        .syntax, "a number must not run into a name ('\(digits)\(scalars[index])')", at: position)
                }
                tokens.append(SQLToken(kind: .number(digits), position: position))
            } else if c == "'" {
                advance()
                var value = ""
                while true {
                    guard index < scalars.count else {
                        throw QueryError(.syntax, "unterminated string literal", at: position)
                    }
                    if scalars[index] == "'" {
                        advance()
                        if index < scalars.count, scalars[index] == "'" { value.append("'"); advance(); continue }
                        break
                    }
                    value.unicodeScalars.append(scalars[index]); advance()
                }
                tokens.append(SQLToken(kind: .string(value), position: position))
            } else {
                let two = index + 1 < scalars.count ? String(String.UnicodeScalarView([c, scalars[index + 1]])) : ""
                if ["<=", ">=", "<>", "!="].contains(two) {
                    advance(); advance()
                    tokens.append(SQLToken(kind: .symbol(two == "!=" ? "<>" : two), position: position))
                } else if "(),*+-/=<>.;".unicodeScalars.contains(c) {
                    advance()
                    tokens.append(SQLToken(kind: .symbol(String(c)), position: position))
                } else {
                    throw QueryError(.syntax, "unexpected character '\(c)'", at: position)
                }
            }
        }
        tokens.append(SQLToken(kind: .end, position: SourcePosition(line: line, column: column)))
        return tokens
    }
}
