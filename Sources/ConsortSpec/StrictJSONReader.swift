/// A strict RFC 8259 JSON reader for signed documents, so that every party reads a signed document the same way.
///
/// Rejects what lenient parsers accept: duplicate object keys (compared after unescaping), trailing commas, leading
/// zeros, a byte-order mark, invalid or overlong UTF-8, UTF-8-encoded surrogates, lone or unpaired `\u` surrogates,
/// control characters in strings, non-finite numbers, integer literals outside ±(2^53−1), non-zero numbers that
/// underflow to zero, and anything after the value. Limits: `maximumBytes` (default 1 MiB) and `maximumDepth` (default
/// 64 nested arrays/objects). Errors give the byte offset of the problem.
package struct StrictJSONReader: Sendable {
    package static let defaultMaximumBytes = 1 << 20
    package static let defaultMaximumDepth = 64
    /// 2^53 − 1: the largest integer every JSON implementation represents exactly.
    package static let maximumSafeInteger: Int64 = (1 << 53) - 1

    package var maximumBytes: Int
    package var maximumDepth: Int

    package init(maximumBytes: Int = Self.defaultMaximumBytes, maximumDepth: Int = Self.defaultMaximumDepth) {
        self.maximumBytes = maximumBytes
        self.maximumDepth = maximumDepth
    }

    package func parse(_ bytes: some Collection<UInt8>) throws -> JSONValue {
        guard bytes.count <= self.maximumBytes else {
            throw SpecError(
                .tooLarge, "the document is \(bytes.count) bytes; at most \(self.maximumBytes) are accepted")
        }
        var parser = Parser(bytes: Array(bytes), maximumDepth: self.maximumDepth)
        return try parser.parseDocument()
    }
}

private struct Parser {
    let bytes: [UInt8]
    let maximumDepth: Int
    var position = 0
    var depth = 0

    init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    mutating func parseDocument() throws -> JSONValue {
        if self.bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw self.error("a byte-order mark is not allowed", at: 0)
        }
        self.skipWhitespace()
        let value = try self.parseValue()
        self.skipWhitespace()
        guard self.position == self.bytes.count else {
            throw self.error("unexpected data after the JSON value")
        }
        return value
    }

    func error(_ message: String, at offset: Int? = nil, code: SpecError.Code = .malformedJSON) -> SpecError {
        SpecError(code, "invalid JSON at byte \(offset ?? self.position): \(message)")
    }

    var current: UInt8? { self.position < self.bytes.count ? self.bytes[self.position] : nil }

    mutating func skipWhitespace() {
        while let byte = self.current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            self.position += 1
        }
    }

    mutating func expect(_ literal: String, value: JSONValue) throws -> JSONValue {
        let utf8 = Array(literal.utf8)
        guard self.bytes.count - self.position >= utf8.count,
            self.bytes[self.position..<self.position + utf8.count].elementsEqual(utf8)
        else {
            throw self.error("expected '\(literal)'")
        }
        self.position += utf8.count
        return value
    }

    mutating func parseValue() throws -> JSONValue {
        guard let byte = self.current else { throw self.error("unexpected end of document, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): return try self.parseObject()
        case UInt8(ascii: "["): return try self.parseArray()
        case UInt8(ascii: "\""): return .string(try self.parseString())
        case UInt8(ascii: "t"): return try self.expect("true", value: .bool(true))
        case UInt8(ascii: "f"): return try self.expect("false", value: .bool(false))
        case UInt8(ascii: "n"): return try self.expect("null", value: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try self.parseNumber())
        default: throw self.error("unexpected character '\(Self.printable(byte))', expected a value")
        }
    }

    mutating func enter() throws {
        self.depth += 1
        if self.depth > self.maximumDepth {
            throw self.error("nesting deeper than \(self.maximumDepth) levels", code: .tooDeep)
        }
    }

    mutating func parseObject() throws -> JSONValue {
        try self.enter()
        defer { self.depth -= 1 }
        self.position += 1
        var object = JSONObject()
        self.skipWhitespace()
        if self.current == UInt8(ascii: "}") {
            self.position += 1
            return .object(object)
        }
        while true {
            self.skipWhitespace()
            guard self.current == UInt8(ascii: "\"") else {
                throw self.error(
                    self.current == UInt8(ascii: "}")
                        ? "trailing comma before '}'" : "expected a member name in double quotes"
                )
            }
            let keyOffset = self.position
            let key = try self.parseString()
            self.skipWhitespace()
            guard self.current == UInt8(ascii: ":") else { throw self.error("expected ':' after the member name") }
            self.position += 1
            self.skipWhitespace()
            let value = try self.parseValue()
            guard object.insert(key, value) else {
                throw SpecError(
                    .duplicateKey,
                    "invalid JSON at byte \(keyOffset): the member name \"\(Self.abbreviate(key))\" appears twice in one object"
                )
            }
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","):
                self.position += 1
            case UInt8(ascii: "}"):
                self.position += 1
                return .object(object)
            default:
                throw self.error("expected ',' or '}' in an object")
            }
        }
    }

    mutating func parseArray() throws -> JSONValue {
        try self.enter()
        defer { self.depth -= 1 }
        self.position += 1
        var elements: [JSONValue] = []
        self.skipWhitespace()
        if self.current == UInt8(ascii: "]") {
            self.position += 1
            return .array(elements)
        }
        while true {
            self.skipWhitespace()
            if self.current == UInt8(ascii: "]") { throw self.error("trailing comma before ']'") }
            elements.append(try self.parseValue())
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","):
                self.position += 1
            case UInt8(ascii: "]"):
                self.position += 1
                return .array(elements)
            default:
                throw self.error("expected ',' or ']' in an array")
            }
        }
    }

    mutating func parseString() throws -> String {
        let start = self.position
        self.position += 1
        var scalars = String.UnicodeScalarView()
        while true {
            guard let byte = self.current else { throw self.error("unterminated string", at: start) }
            switch byte {
            case UInt8(ascii: "\""):
                self.position += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                self.position += 1
                scalars.append(try self.parseEscape())
            case 0x00..<0x20:
                throw self.error("control character 0x\(String(byte, radix: 16)) must be escaped in a string")
            case 0x20..<0x80:
                scalars.append(Unicode.Scalar(byte))
                self.position += 1
            default:
                scalars.append(try self.parseUTF8Sequence())
            }
        }
    }

    mutating func parseEscape() throws -> Unicode.Scalar {
        guard let byte = self.current else { throw self.error("unterminated escape") }
        self.position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let escapeStart = self.position - 2
            let first = try self.parseHex4()
            switch first {
            case 0xD800...0xDBFF:
                guard self.current == UInt8(ascii: "\\"), self.position + 1 < self.bytes.count,
                    self.bytes[self.position + 1] == UInt8(ascii: "u")
                else {
                    throw self.error(
                        "lone high surrogate \\u\(String(first, radix: 16)) without a low surrogate", at: escapeStart)
                }
                self.position += 2
                let second = try self.parseHex4()
                guard (0xDC00...0xDFFF).contains(second) else {
                    throw self.error(
                        "high surrogate followed by \\u\(String(second, radix: 16)), not a low surrogate",
                        at: escapeStart)
                }
                let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                return Unicode.Scalar(value)!
            case 0xDC00...0xDFFF:
                throw self.error("lone low surrogate \\u\(String(first, radix: 16))", at: escapeStart)
            default:
                return Unicode.Scalar(first)!
            }
        default:
            throw self.error("invalid escape '\\\(Self.printable(byte))'", at: self.position - 2)
        }
    }

    mutating func parseHex4() throws -> UInt32 {
        guard self.position + 4 <= self.bytes.count else { throw self.error("incomplete \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw self.error("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            self.position += 1
        }
        return value
    }

    /// One well-formed UTF-8 sequence (Unicode Table 3-7): no overlong forms, no surrogates, nothing above U+10FFFF.
    mutating func parseUTF8Sequence() throws -> Unicode.Scalar {
        let start = self.position
        let lead = self.bytes[start]
        let length: Int
        var value: UInt32
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2; value = UInt32(lead & 0x1F)
        case 0xE0: length = 3; value = UInt32(lead & 0x0F); lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3; value = UInt32(lead & 0x0F)
        case 0xED: length = 3; value = UInt32(lead & 0x0F); upper = 0x9F
        case 0xF0: length = 4; value = UInt32(lead & 0x07); lower = 0x90
        case 0xF1...0xF3: length = 4; value = UInt32(lead & 0x07)
        case 0xF4: length = 4; value = UInt32(lead & 0x07); upper = 0x8F
        default: throw self.error("invalid UTF-8 byte 0x\(String(lead, radix: 16))")
        }
        guard start + length <= self.bytes.count else { throw self.error("truncated UTF-8 sequence") }
        for index in 1..<length {
            let byte = self.bytes[start + index]
            let (low, high) = index == 1 ? (lower, upper) : (UInt8(0x80), UInt8(0xBF))
            guard byte >= low && byte <= high else {
                throw self.error("invalid UTF-8 sequence (overlong, surrogate or out of range)", at: start)
            }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        self.position += length
        return Unicode.Scalar(value)!
    }

    mutating func parseNumber() throws -> JSONNumber {
        let start = self.position
        if self.current == UInt8(ascii: "-") { self.position += 1 }
        guard let first = self.current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
            throw self.error("expected a digit")
        }
        if first == UInt8(ascii: "0") {
            self.position += 1
            if let next = self.current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(next) {
                throw self.error("leading zeros are not allowed", at: start)
            }
        } else {
            self.skipDigits()
        }
        var isInteger = true
        if self.current == UInt8(ascii: ".") {
            isInteger = false
            self.position += 1
            guard self.skipDigits() > 0 else { throw self.error("expected digits after the decimal point") }
        }
        if self.current == UInt8(ascii: "e") || self.current == UInt8(ascii: "E") {
            isInteger = false
            self.position += 1
            if self.current == UInt8(ascii: "+") || self.current == UInt8(ascii: "-") { self.position += 1 }
            guard self.skipDigits() > 0 else { throw self.error("expected digits in the exponent") }
        }
        let text = String(decoding: self.bytes[start..<self.position], as: UTF8.self)
        if isInteger {
            guard let integer = Int64(text), abs(integer) <= StrictJSONReader.maximumSafeInteger else {
                throw self.error(
                    "the integer \(Self.abbreviate(text)) is outside ±(2^53−1)", at: start, code: .numberOutOfRange)
            }
            return JSONNumber(text: text, double: Double(integer), integer: integer)
        }
        guard let double = Double(text), double.isFinite else {
            throw self.error("the number \(Self.abbreviate(text)) is not finite", at: start, code: .numberOutOfRange)
        }
        if double == 0, text.contains(where: { ("1"..."9").contains($0) }) {
            let mantissa = text.prefix { $0 != "e" && $0 != "E" }
            if mantissa.contains(where: { ("1"..."9").contains($0) }) {
                throw self.error(
                    "the number \(Self.abbreviate(text)) underflows to zero", at: start, code: .numberOutOfRange)
            }
        }
        return JSONNumber(text: text, double: double, integer: nil)
    }

    @discardableResult
    mutating func skipDigits() -> Int {
        let start = self.position
        while let byte = self.current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { self.position += 1 }
        return self.position - start
    }

    static func printable(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "0x" + String(byte, radix: 16)
    }

    static func abbreviate(_ text: String) -> String {
        text.count > 40 ? text.prefix(37) + "..." : text
    }
}
