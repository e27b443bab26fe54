/// What one operation of an engine costs in communication: the rounds it takes (each a wait for the peers) and the
/// bytes all computing parties send together. Local work is not counted: in these protocols the network dominates.
package struct OperationCost: Sendable, Hashable, CustomStringConvertible {
    package var rounds: Int
    /// Bytes sent, summed over every computing party.
    package var bytes: Int

    package init(rounds: Int, bytes: Int) {
        self.rounds = rounds
        self.bytes = bytes
    }

    package static let free = OperationCost(rounds: 0, bytes: 0)

    package static func + (lhs: OperationCost, rhs: OperationCost) -> OperationCost {
        OperationCost(rounds: lhs.rounds + rhs.rounds, bytes: lhs.bytes + rhs.bytes)
    }

    package static func += (lhs: inout OperationCost, rhs: OperationCost) { lhs = lhs + rhs }

    /// `count` of these one after the other.
    package static func * (lhs: OperationCost, count: Int) -> OperationCost {
        OperationCost(rounds: lhs.rounds * count, bytes: lhs.bytes * count)
    }

    package var description: String { "\(self.rounds) rounds, \(self.bytes) bytes" }
}

/// An engine's cost model: the communication of each of its interactive operations, as a function of the number of
/// elements and their bit width. `query check` prices a whole query by running its program on a `CostEstimator`
/// over this model, so the estimate follows the compiler exactly; the engine's tests check the model against the
/// rounds and bytes the engine really sends.
///
/// Operations the engine inherits from `MPCEngine`'s generic algorithms (select, division, square root) are priced
/// by running those algorithms on the estimator; an engine that overrides one also overrides its price here.
package protocol CostModel: Sendable {
    func input(count: Int) -> OperationCost
    func multiply(count: Int) -> OperationCost
    /// `count` inner products (whatever their length).
    func innerProducts(count: Int) -> OperationCost
    func open(count: Int) -> OperationCost
    /// x < y or x < 0, for |x − y| < 2^(bits − 1).
    func lessThan(count: Int, bits: Int) -> OperationCost
    /// x == y, for |x − y| < 2^bits.
    func equal(count: Int, bits: Int) -> OperationCost
    /// `MPCEngine.anyNegative` of `count` elements in spans of these lengths; nil: a comparison per element.
    func anyNegative(count: Int, bits: Int, spans: [Int]) -> OperationCost?
    /// `MPCEngine.anyOutside` of `count` elements in spans of these lengths; nil: `outsideBySigns`.
    func anyOutside(count: Int, bits: Int, spans: [Int]) -> OperationCost?
    func truncate(count: Int, by bits: Int) -> OperationCost
    func bitDecompose(count: Int, bits: Int) -> OperationCost
    /// One shuffle of `columns` columns of `rows` rows.
    func shuffle(rows: Int, columns: Int) -> OperationCost
    /// A sort of `rows` rows by a key of `keyBits` bits carrying `payload` columns; data-dependent engines give the
    /// expected cost.
    func sort(rows: Int, keyBits: Int, payload: Int) -> OperationCost
    /// The end of a session (for an actively secure engine, its final checks).
    func finish() -> OperationCost

    /// Overrides of the generic algorithms (nil: the engine uses the generic algorithm, which the estimator runs).
    func select(count: Int) -> OperationCost?
    func divide(count: Int, bits: Int, quotientBits: Int, divisorBits: Int, publicDivisor: Bool) -> OperationCost?
    func squareRoot(count: Int, bits: Int) -> OperationCost?
}

extension CostModel {
    package func anyNegative(count: Int, bits: Int, spans: [Int]) -> OperationCost? { nil }
    package func anyOutside(count: Int, bits: Int, spans: [Int]) -> OperationCost? { nil }
    package func select(count: Int) -> OperationCost? { nil }
    package func divide(count: Int, bits: Int, quotientBits: Int, divisorBits: Int, publicDivisor: Bool)
        -> OperationCost?
    { nil }
    package func squareRoot(count: Int, bits: Int) -> OperationCost? { nil }
}
