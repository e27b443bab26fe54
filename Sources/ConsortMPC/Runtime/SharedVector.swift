/// One computing party's share of a vector of secret integers, and the operations on it that need no communication
/// and no knowledge of the party: adding and subtracting shares, scaling by a public constant, and rearranging
/// elements. Whatever needs the party (adding a public value) or the other parties is on the `MPCEngine`.
package protocol SharedVector: Sendable {
    /// Number of secret elements.
    var count: Int { get }

    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static prefix func - (value: Self) -> Self

    /// Multiplication of every element by a public constant.
    func scaled(by constant: Int64) -> Self
    /// Elementwise multiplication by a public vector of the same length.
    func multiplied(byPublic values: PublicVector) -> Self

    /// Elements `range`.
    func slice(_ range: Range<Int>) -> Self
    /// Overwrites elements `range` with `values` (as many), in place: a long column updated a slice at a time is
    /// not copied whole.
    mutating func replace(_ range: Range<Int>, with values: Self)
    /// Every `step`-th element from `start` (e.g. the even positions: start 0, step 2).
    func strided(from start: Int, by step: Int) -> Self
    /// Elements reordered by a public permutation (or selection): result[k] = self[order[k]].
    func permuted(_ order: [Int]) -> Self
    /// Each element repeated `times` times in place: [a, b] by 2 → [a, a, b, b].
    func repeatingElements(_ times: Int) -> Self
    /// The sum of all elements, as a share of one element.
    func total() -> Self

    static func concatenate(_ parts: [Self]) -> Self
    /// A share of `count` zeros (the same on every party).
    static func zeros(_ count: Int) -> Self

    /// The share's elements as bytes (`ShareEnvelope` payloads), and back; decoding checks the length.
    var encoded: [UInt8] { get }
    init(encoded bytes: ArraySlice<UInt8>, count: Int) throws
    /// Bytes one element takes in `encoded`.
    static var bytesPerElement: Int { get }
    /// Where in the encoding of `count` elements the elements `rows` are: byte ranges whose bytes, one after the
    /// other, are the encoding of those elements alone (so stored shares can be read a range of rows at a time).
    static func encodedRanges(of rows: Range<Int>, count: Int) -> [Range<Int>]
}

extension SharedVector {
    /// The sum of the consecutive blocks of `length` elements: [a, b, c, d] by 2 → [a + c, b + d].
    func blockSum(_ length: Int) -> Self {
        (1..<max(1, self.count / length)).reduce(self.slice(0..<length)) {
            $0 + self.slice($1 * length..<($1 + 1) * length)
        }
    }
}
