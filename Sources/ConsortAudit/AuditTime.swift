import Foundation

/// Audit timestamps: RFC 3339 UTC with microseconds (`2026-11-22T13:00:00.123456Z`), stored as text so both stores
/// and every export keep exactly the bytes that were hashed.
package enum AuditTime {
    package static func now() -> String { Self.format(Date()) }

    package static func format(_ date: Date) -> String {
        let microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        var seconds = time_t(microseconds.quotientAndRemainder(dividingBy: 1_000_000).quotient)
        var fraction = microseconds % 1_000_000
        if fraction < 0 {
            fraction += 1_000_000
            seconds -= 1
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        let micro = String(fraction)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 6 - micro.count) + micro + "Z"
    }

    /// True for the exact form `format` produces.
    package static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 27, bytes[4] == 0x2D, bytes[7] == 0x2D, bytes[10] == 0x54, bytes[13] == 0x3A,
            bytes[16] == 0x3A, bytes[19] == 0x2E, bytes[26] == 0x5A
        else { return false }
        let digits = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22, 23, 24, 25]
        return digits.allSatisfy { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }
    }

    /// The instant of a valid stamp whose fields are in range (they print back as the same text), else nil.
    package static func date(_ text: String) -> Date? {
        guard Self.isValid(text) else { return nil }
        let whole = String(text.prefix(19)) + "Z"
        guard let seconds = try? Self.style.parse(whole), seconds.formatted(Self.style) == whole,
            let micro = Double(text.dropFirst(20).prefix(6))
        else {
            return nil
        }
        return seconds.addingTimeInterval(micro / 1_000_000)
    }

    /// RFC 3339 in UTC to the second (Foundation's parser: `ISO8601DateFormatter` costs about 0.35 ms a call).
    private static let style = Date.ISO8601FormatStyle()
}
