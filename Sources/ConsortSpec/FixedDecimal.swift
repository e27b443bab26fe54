/// An exact decimal number: `units` × 10^(−scale). Decimal columns are stored and computed as integer units.
package struct FixedDecimal: Hashable, Comparable, Sendable, CustomStringConvertible {
    package var units: Int64
    package var scale: Int

    package init(units: Int64, scale: Int) {
        self.units = units
        self.scale = scale
    }

    /// Parses a plain decimal literal (`-12.34`, `100`) with at most `scale` fraction digits, exactly.
    package init?(parsing text: String, scale: Int) {
        // One pass over the UTF-8 bytes: `-`? digit+ (`.` digit{1,scale})?, at most maximumUnits units.
        var units: Int64 = 0
        var negative = false
        var wholeDigits = 0
        var fractionDigits = 0
        var seenPoint = false
        var first = true
        for byte in text.utf8 {
            defer { first = false }
            switch byte {
            case UInt8(ascii: "-") where first:
                negative = true
            case UInt8(ascii: "."):
                guard !seenPoint, wholeDigits > 0 else { return nil }
                seenPoint = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if seenPoint {
                    fractionDigits += 1
                    guard fractionDigits <= scale else { return nil }
                } else {
                    wholeDigits += 1
                }
                let (shifted, overflow) = units.multipliedReportingOverflow(by: 10)
                guard !overflow, shifted <= Self.maximumUnits else { return nil }
                units = shifted + Int64(byte - UInt8(ascii: "0"))
            default:
                return nil
            }
        }
        guard wholeDigits > 0, !seenPoint || fractionDigits > 0 else { return nil }
        for _ in fractionDigits..<max(fractionDigits, scale) {
            let (shifted, overflow) = units.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            units = shifted
        }
        guard units <= Self.maximumUnits else { return nil }
        self.units = negative ? -units : units
        self.scale = scale
    }

    /// Units stay within ±(2^53−1) so every decimal is also exact as a JSON number and a Double.
    package static let maximumUnits: Int64 = (1 << 53) - 1

    package var description: String {
        guard self.scale > 0 else { return String(self.units) }
        let magnitude = String(self.units.magnitude)
        let padded = String(repeating: "0", count: max(0, self.scale + 1 - magnitude.count)) + magnitude
        let split = padded.index(padded.endIndex, offsetBy: -self.scale)
        return (self.units < 0 ? "-" : "") + padded[..<split] + "." + padded[split...]
    }

    package var doubleValue: Double { Double(self.units) / Self.power(self.scale) }

    package static func power(_ scale: Int) -> Double {
        var result = 1.0
        for _ in 0..<scale { result *= 10 }
        return result
    }

    package static func < (lhs: FixedDecimal, rhs: FixedDecimal) -> Bool {
        precondition(lhs.scale == rhs.scale, "compare decimals of one column only")
        return lhs.units < rhs.units
    }
}
