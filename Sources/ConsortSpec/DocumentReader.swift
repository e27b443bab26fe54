import Foundation

/// Walks a `JSONValue` with a JSON pointer, checking shapes and collecting every problem as a `Diagnostic` instead of
/// stopping at the first — the basis of the CTS and directory readers.
package final class DocumentReader {
    package private(set) var diagnostics: [Diagnostic] = []

    package init() {}

    package func error(_ pointer: String, _ message: String) {
        self.diagnostics.append(Diagnostic(at: pointer, message))
    }

    package static func pointer(_ base: String, _ token: String) -> String {
        base + "/" + token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    package static func pointer(_ base: String, _ index: Int) -> String { "\(base)/\(index)" }

    /// An object with exactly the allowed members; reports unknown and missing ones.
    package func object(_ value: JSONValue?, at pointer: String, required: [String], optional: [String] = [])
        -> JSONObject?
    {
        guard let value else {
            self.error(pointer, "is required")
            return nil
        }
        guard case .object(let object) = value else {
            self.error(pointer, "must be an object, not \(value.kindName)")
            return nil
        }
        let allowed = Set(required + optional)
        for key in object.keys where !allowed.contains(key) {
            self.error(
                Self.pointer(pointer, key),
                "unknown field \"\(key)\" (allowed here: \((required + optional).joined(separator: ", ")))"
            )
        }
        for key in required where object[key] == nil {
            self.error(Self.pointer(pointer, key), "is required")
        }
        return object
    }

    package func string(
        _ value: JSONValue?,
        at pointer: String,
        length: ClosedRange<Int> = 1...4000,
        rule: ((String) -> Bool)? = nil,
        ruleDescription: String = ""
    ) -> String? {
        guard let value else { return nil }
        guard case .string(let text) = value else {
            self.error(pointer, "must be a string, not \(value.kindName)")
            return nil
        }
        guard length.contains(text.count) else {
            self.error(
                pointer, "must be \(length.lowerBound) to \(length.upperBound) characters long (is \(text.count))")
            return nil
        }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" }) {
            self.error(pointer, "must not contain control characters")
            return nil
        }
        if let rule, !rule(text) {
            self.error(pointer, "\"\(text.prefix(80))\" \(ruleDescription)")
            return nil
        }
        return text
    }

    package func integer(_ value: JSONValue?, at pointer: String, range: ClosedRange<Int64>) -> Int64? {
        guard let value else { return nil }
        guard case .number(let number) = value else {
            self.error(pointer, "must be an integer, not \(value.kindName)")
            return nil
        }
        guard let integer = number.integer else {
            self.error(pointer, "must be an integer written without fraction or exponent (found \(number.text))")
            return nil
        }
        guard range.contains(integer) else {
            self.error(pointer, "must be between \(range.lowerBound) and \(range.upperBound) (found \(integer))")
            return nil
        }
        return integer
    }

    package func array(_ value: JSONValue?, at pointer: String, count: ClosedRange<Int>) -> [JSONValue]? {
        guard let value else { return nil }
        guard case .array(let elements) = value else {
            self.error(pointer, "must be an array, not \(value.kindName)")
            return nil
        }
        guard count.contains(elements.count) else {
            self.error(pointer, "must have \(count.lowerBound) to \(count.upperBound) entries (has \(elements.count))")
            return nil
        }
        return elements
    }

    package func oneOf(_ value: JSONValue?, at pointer: String, _ allowed: [String]) -> String? {
        guard let text = self.string(value, at: pointer, length: 1...64) else { return nil }
        guard allowed.contains(text) else {
            self.error(pointer, "\"\(text)\" is not one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))")
            return nil
        }
        return text
    }

    /// An RFC 3339 instant in UTC (`2026-12-01T00:00:00Z`, optionally with fractional seconds).
    package func timestamp(_ value: JSONValue?, at pointer: String) -> Date? {
        guard let text = self.string(value, at: pointer, length: 20...40) else { return nil }
        guard let date = Self.parseTimestamp(text) else {
            self.error(pointer, "\"\(text)\" is not an RFC 3339 UTC time such as 2026-12-01T00:00:00Z")
            return nil
        }
        return date
    }

    package static func parseTimestamp(_ text: String) -> Date? {
        guard text.hasSuffix("Z"), text.count >= 20, text[text.index(text.startIndex, offsetBy: 10)] == "T" else {
            return nil
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    package static func formatTimestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// Name rules shared by the schema and the readers.
package enum Names {
    /// Task ids: lowercase letters, digits and '-', 1-64 characters, starting and ending with a letter or digit.
    package static func isTaskID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...64).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else {
            return false
        }
        return bytes.allSatisfy { Self.isLowerAlnum($0) || $0 == UInt8(ascii: "-") }
    }

    /// Table, column and rule names: SQL identifiers `[a-z_][a-z0-9_]{0,62}`.
    package static func isIdentifier(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard (1...63).contains(bytes.count), let first = bytes.first, (first >= 0x61 && first <= 0x7A) || first == 0x5F
        else {
            return false
        }
        return bytes.allSatisfy { Self.isLowerAlnum($0) || $0 == 0x5F }
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
    }
}
