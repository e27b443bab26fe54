/// Exact integer arithmetic for the checker's overflow proofs: bounds are `Int128`, and a product that would not fit
/// even there is reported as nil — which no limit admits — rather than wrapping or rounding as `Double` would.
enum ExactBound {
    /// The product of `factors`, or nil if it leaves Int128.
    static func product(_ factors: Int128...) -> Int128? {
        var result: Int128 = 1
        for factor in factors {
            let (value, overflow) = result.multipliedReportingOverflow(by: factor)
            guard !overflow else { return nil }
            result = value
        }
        return result
    }

    /// The sum, or nil if it leaves Int128.
    static func sum(_ terms: Int128...) -> Int128? {
        var result: Int128 = 0
        for term in terms {
            let (value, overflow) = result.addingReportingOverflow(term)
            guard !overflow else { return nil }
            result = value
        }
        return result
    }

    /// Whether `value` is known and below `limit`.
    static func below(_ value: Int128?, _ limit: Int128) -> Bool { value.map { $0 < limit } ?? false }

    /// Bits of x ≥ 0 (0 for 0).
    static func bitLength(_ x: Int128) -> Int { Int128.bitWidth - x.leadingZeroBitCount }

    /// ⌈log₂ x⌉ for x ≥ 1.
    static func ceilLog2(_ x: Int128) -> Int { x <= 1 ? 0 : Self.bitLength(x - 1) }

    /// 10^exponent.
    static func power10(_ exponent: Int) -> Int128 {
        (0..<exponent).reduce(Int128(1)) { value, _ in value * 10 }
    }
}
