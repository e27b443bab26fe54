/// One computing party's runtime of an MPC protocol, generic over the protocol's share type: what the query compiler
/// and the programs need, and nothing about how the protocol does it (`Specs/engines.md`).
///
/// Values are signed integers (`Int64` outside, the engine's `ValueDomain` inside); every operation works on whole
/// vectors, so one round serves a whole column. All parties call the same operations in the same order with the same
/// public arguments; a party that cannot go on throws `MPCError`, and the transport makes the others fail too.
///
/// Nothing an engine computes may be trusted before `finish()` returns: an actively secure engine checks its MACs or
/// proofs there (and before every `open`), so an output party receives shares only from a finished session.
package protocol MPCEngine: Sendable {
    associatedtype Share: SharedVector

    /// Name, security, parties, value domain and cost model.
    static var traits: EngineTraits { get }

    /// This party's index, 0..<parties.
    var party: Int { get }
    /// The number of computing parties in the session.
    var parties: Int { get }
    /// Rounds and bytes this party has sent so far (benchmarks, cost-model checks).
    var rounds: Int { get }
    var bytesSent: Int { get }

    /// Sets up this party's session over `transport` (keys, correlated randomness); every party calls it.
    static func establish(transport: any MPCTransport) async throws -> Self

    // MARK: Outside parties

    /// An input party's local sharing of `values` for `parties` computing parties: element i of the result goes to
    /// party i. Randomness comes from the system CSPRNG.
    static func deal(_ values: [Int64], parties: Int) throws -> [Share]
    /// An output party's reconstruction from every computing party's share, in party order; shares that do not fit
    /// together (one was altered) are an error (`inconsistentShares`), never a wrong value.
    static func combine(_ shares: [Share]) throws -> [Int64]

    // MARK: Public values (local)

    /// A share of public values.
    func constant(_ values: PublicVector) -> Share
    /// x + c and x − c for public c (local: only some parties add).
    func adding(_ x: Share, _ values: PublicVector) -> Share
    func subtracting(_ x: Share, _ values: PublicVector) -> Share

    // MARK: Interactive operations

    /// Shares of `count` values that party `owner` knows (it passes them, the others pass nil).
    mutating func input(_ values: [Int64]?, from owner: Int, count: Int) async throws -> Share
    /// Elementwise x·y.
    mutating func multiply(_ x: Share, _ y: Share) async throws -> Share
    /// Σₖ xₖyₖ of each pair, as one share of `pairs.count` elements.
    mutating func innerProducts(_ pairs: [(Share, Share)]) async throws -> Share
    /// ⟨rows[i], columns[j]⟩ for every i and j, at i · columns.count + j (vectors of one length): the sums of several
    /// columns per group. An engine that proves its products can prove a table for less than its pairs.
    mutating func innerProducts(rows: [Share], columns: [Share]) async throws -> Share
    /// Reveals x to the computing parties.
    mutating func open(_ x: Share) async throws -> [Int64]
    /// x < y as 0/1, for |x − y| < 2^(bits − 1).
    mutating func lessThan(_ x: Share, _ y: Share, bits: Int) async throws -> Share
    /// x < 0 as 0/1, for |x| < 2^(bits − 1).
    mutating func lessThanZero(_ x: Share, bits: Int) async throws -> Share
    /// Per span of x, a share that is positive exactly when an element of the span is negative (|x| < 2^(bits − 1)),
    /// at most the span's length: what a range check opens (whether), without a count per element.
    mutating func anyNegative(_ x: Share, bits: Int, spans: [Range<Int>]) async throws -> Share
    /// Per span of x, a share positive exactly when an element of the span lies outside [0, width] (its width in
    /// `widths`, 0 ≤ width < 2^(bits − 1)) as a `bits`-bit signed integer, whatever ring element it is — negative, or
    /// above the width; at most twice the span's length: the range check of uploaded values.
    mutating func anyOutside(_ x: Share, widths: [Int64], spans: [Range<Int>], bits: Int) async throws -> Share
    /// x == y as 0/1, for |x − y| < 2^bits.
    mutating func equal(_ x: Share, _ y: Share, bits: Int) async throws -> Share
    /// c ? x : y elementwise, for c in {0, 1}.
    mutating func select(_ c: Share, _ x: Share, _ y: Share) async throws -> Share
    /// ⌊x / 2^m⌋ for signed x, exactly.
    mutating func truncate(_ x: Share, by m: Int) async throws -> Share
    /// The low `bits` bits of each element as 0/1 shares: result[j · count + e] is bit j of element e.
    mutating func bitDecompose(_ x: Share, bits: Int) async throws -> Share
    /// ⌊n / d⌋ for 0 ≤ n < 2^bits, 0 < d (every quotient < 2^quotientBits, every d < 2^divisorBits).
    mutating func divide(_ n: Share, by d: Share, bits: Int, quotientBits: Int?, divisorBits: Int?) async throws
        -> Share
    /// ⌊n / d⌋ for public divisors d > 0.
    mutating func divide(_ n: Share, byPublic d: [Int64], bits: Int, quotientBits: Int?) async throws -> Share
    /// (⌊n/d⌋, ⌊frac(n/d) · 2^fractionBits⌋) for 0 ≤ n < 2^bits, 0 < d < 2^divisorBits.
    mutating func divideWithFraction(
        _ n: Share, by d: Share, bits: Int, quotientBits: Int, divisorBits: Int, fractionBits: Int
    ) async throws -> (quotient: Share, fraction: Share)
    /// ⌊√n⌋ for 0 ≤ n < 2^bits (bits even).
    mutating func squareRoot(_ n: Share, bits: Int) async throws -> Share
    /// The rows of `columns` (all of one length) in one random order nobody knows.
    mutating func shuffle(_ columns: [Share]) async throws -> [Share]
    /// Rows sorted by `key` in [0, 2^keyBits) ascending, equal keys in their original order, `payload` carried along.
    /// The columns are taken (`consuming`), so an engine can let each go once it has moved it on.
    mutating func sort(key: consuming Share, payload: consuming [Share], keyBits: Int) async throws -> (
        key: Share, payload: [Share]
    )

    /// Verifies everything the session computed (MACs, proofs: nothing for a passive engine) and ends it once every
    /// party gets here; results may be released only after it returns.
    mutating func finish() async throws
    /// Checks that shares an outside input party dealt fit together before they are used (an active engine compares
    /// the two copies of each replicated component; nothing for a passive engine, whose output party catches an
    /// inconsistent share at the end). Every party calls it with its shares of the same columns.
    mutating func verifyInputs(_ columns: [Share]) async throws
    /// Verifies everything computed so far without ending the session (an active engine runs its pending proofs;
    /// nothing for a passive engine). A benchmark calls it after its warm-up, so the timed runs pay only their own.
    mutating func verifyPending() async throws

    // MARK: Testing an actively secure engine

    /// The ways this engine can be made to cheat (`consort bench mpc --corrupt`, the corruption tests); none for an
    /// engine without hooks.
    static var deviations: [String] { get }
    /// Makes this party cheat once in the named way.
    mutating func deviate(_ deviation: String) throws
    /// The deviation asked for that has not come up yet (the session never reached that step).
    var pendingDeviation: String? { get }
}

extension MPCEngine {
    package mutating func anyNegative(_ x: Share, bits: Int, spans: [Range<Int>]) async throws -> Share {
        try await self.negativeCounts(x, bits: bits, spans: spans)
    }

    package mutating func anyOutside(_ x: Share, widths: [Int64], spans: [Range<Int>], bits: Int) async throws
        -> Share
    {
        try await self.outsideBySigns(x, widths: widths, spans: spans, bits: bits)
    }

    /// `anyOutside` by two sign tests per element: x and width − x are both non-negative exactly when 0 ≤ x ≤ width
    /// (if x ≥ 0, width − x cannot wrap); one `anyNegative` span per span holds both.
    package mutating func outsideBySigns(_ x: Share, widths: [Int64], spans: [Range<Int>], bits: Int) async throws
        -> Share
    {
        guard widths.count == spans.count else {
            throw MPCError(.invalidArgument, "anyOutside: \(widths.count) widths for \(spans.count) spans")
        }
        guard !spans.isEmpty else { return .zeros(0) }
        var parts: [Share] = []
        var doubled: [Range<Int>] = []
        for (span, width) in zip(spans, widths) {
            let s = x.slice(span)
            let start = doubled.last?.upperBound ?? 0
            doubled.append(start..<(start + 2 * span.count))
            parts += [s, self.constant(width, count: span.count) - s]
        }
        return try await self.anyNegative(.concatenate(parts), bits: bits, spans: doubled)
    }

    /// The count of negative elements per span: one comparison and conversion per element.
    package mutating func negativeCounts(_ x: Share, bits: Int, spans: [Range<Int>]) async throws -> Share {
        let negative = try await self.lessThanZero(x, bits: bits)
        return Share.concatenate(spans.map { negative.slice($0).total() })
    }

    package mutating func verifyInputs(_ columns: [Share]) async throws {}

    package mutating func verifyPending() async throws {}

    package static var deviations: [String] { [] }

    package mutating func deviate(_ deviation: String) throws {
        throw MPCError(.invalidArgument, "the \(Self.traits.identity) engine has no way to cheat on purpose")
    }

    package var pendingDeviation: String? { nil }
}
