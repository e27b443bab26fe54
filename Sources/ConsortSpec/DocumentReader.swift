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

    /// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` and nothing else: Foundation reads the whole seconds, which must print back
    /// as the same text — so February 30, 24:00 or a second 60 are refused, not moved to a neighbouring instant — and
    /// a fraction has 1 to 9 digits. (`ISO8601DateFormatter` took about 0.35 ms a call here, most of a status poll's
    /// work; this takes about a microsecond.)
    package static func parseTimestamp(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        let fraction = bytes[19..<(bytes.count - 1)]
        if !fraction.isEmpty {
            guard fraction.first == UInt8(ascii: "."), (2...10).contains(fraction.count),
                fraction.dropFirst().allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
            else { return nil }
        }
        let seconds = String(decoding: bytes[0..<19], as: UTF8.self) + "Z"
        guard let whole = try? Self.timestampStyle.parse(seconds), whole.formatted(Self.timestampStyle) == seconds
        else {
            return nil
        }
        return whole + (fraction.isEmpty ? 0 : Double("0" + String(decoding: fraction, as: UTF8.self)) ?? 0)
    }

    package static func formatTimestamp(_ date: Date) -> String { date.formatted(Self.timestampStyle) }

    /// RFC 3339 in UTC to the second.
    private static let timestampStyle = Date.ISO8601FormatStyle()
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
