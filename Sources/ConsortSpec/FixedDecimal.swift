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
        var digits = Substring(text)
        let negative = digits.hasPrefix("-")
        if negative { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCII),
            whole.allSatisfy(\.isNumber)
        else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard fraction.count <= scale, fraction.allSatisfy({ $0.isASCII && $0.isNumber }), parts.count == 1 || !fraction.isEmpty else {
            return nil
        }
        let padded = String(fraction) + String(repeating: "0", count: scale - fraction.count)
        guard let value = Int64(String(whole) + padded), value <= Self.maximumUnits else { return nil }
        self.units = negative ? -value : value
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
