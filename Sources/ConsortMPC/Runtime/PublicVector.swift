/// A vector of public integers, described by its pattern where it has one, so that a program can pass a million
/// repeated constants (or the indices 0..<n) without building the array: an engine materialises it only where it
/// computes, and a cost estimate never does.
package indirect enum PublicVector: Sendable, Hashable {
    /// These values.
    case list([Int64])
    /// `value`, `count` times.
    case repeating(Int64, count: Int)
    /// 0, 1, …, count − 1.
    case indices(Int)
    /// Each element of the inner vector repeated `length` times in place: [a, b] by 2 → [a, a, b, b].
    case blocks(PublicVector, length: Int)
    /// The inner vector repeated `times` times end to end: [a, b] by 2 → [a, b, a, b].
    case tiled(PublicVector, times: Int)

    package var count: Int {
        switch self {
        case .list(let values): return values.count
        case .repeating(_, let count): return count
        case .indices(let count): return count
        case .blocks(let inner, let length): return inner.count * length
        case .tiled(let inner, let times): return inner.count * times
        }
    }

    /// The values themselves.
    package var materialized: [Int64] {
        switch self {
        case .list(let values): return values
        case .repeating(let value, let count): return [Int64](repeating: value, count: count)
        case .indices(let count): return (0..<count).map { Int64($0) }
        case .blocks(let inner, let length): return inner.materialized.flatMap { [Int64](repeating: $0, count: length) }
        case .tiled(let inner, let times):
            let values = inner.materialized
            return [Int64]((0..<times).map { _ in values }.joined())
        }
    }

    /// The values as two's-complement words of Z_2^64.
    package var words: [UInt64] {
        if case .repeating(let value, let count) = self {
            return [UInt64](repeating: UInt64(bitPattern: value), count: count)
        }
        return self.materialized.map { UInt64(bitPattern: $0) }
    }
}
