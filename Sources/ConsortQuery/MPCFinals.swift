import ConsortMPC
import ConsortSpec

/// Which output cells the computing parties produce, in order, once the public facts (suppressed, empty and
/// single-row groups) are known: every party and the output party derive the same layout.
struct OutputLayout {
    struct Item {
        var group: Int
        var aggregate: Int
        /// Ring elements of the cell (0: the value follows from the public facts, as REGR_R2 = 1 for constant Y).
        var width: Int
    }

    var items: [Item] = []

    init(plan: QueryPlan, facts: PublicFacts, groups: Int) {
        for g in 0..<groups where !facts.suppressed[g] {
            for (a, aggregate) in plan.aggregates.enumerated() {
                if aggregate.kind != .count, facts.empty(a, g) { continue }
                if [.varSamp, .stddevSamp, .covarSamp].contains(aggregate.kind), facts.single(a, g) { continue }
                let constantX = facts.constantX[a]?[g] ?? false, constantY = facts.constantY[a]?[g] ?? false
                if [.regrSlope, .regrIntercept, .regrR2].contains(aggregate.kind), constantX { continue }
                if aggregate.kind == .corr, constantX || constantY { continue }
                let width = aggregate.kind == .regrR2 && constantY ? 0 : Self.width(aggregate.kind)
                self.items.append(Item(group: g, aggregate: a, width: width))
            }
        }
    }

    /// Ring elements per item.
    static func width(_ kind: QueryPlan.AggregateKind) -> Int {
        switch kind {
        case .avg, .varPop, .varSamp: return 2
        case .covarPop, .covarSamp, .regrSlope, .regrIntercept, .corr: return 3  // sign, integer part, fraction
        default: return 1
        }
    }

    /// Fraction bits of the signed ratios (COVAR_*, REGR_SLOPE, REGR_INTERCEPT) and of CORR; REGR_R2 = CORR² has twice.
    static let ratioBits = 40
    static let correlationBits = 30

    static func bits(_ value: UInt64) -> Int { max(1, UInt64.bitWidth - value.leadingZeroBitCount) }
}

/// The fixed-point precision of each final: derived from the plan alone, so parties and output party agree.
struct FinalPrecision {
    var rowsBits: Int
    var span: UInt64

    var domain: ValueDomain

    init(plan: QueryPlan, aggregate: QueryPlan.Aggregate) {
        self.rowsBits = OutputLayout.bits(UInt64(plan.table.maxRows))
        self.span = UInt64(max(1, aggregate.high - aggregate.low))
        self.domain = plan.domain
    }

    var spanBits: Int { OutputLayout.bits(self.span) }
    var spanSquareBits: Int { OutputLayout.bits(self.span * self.span) }
    /// AVG: mean = low + q + frac / 2^averageBits. The fraction's division takes a remainder below n (rowsBits + 1
    /// bits) times 2^averageBits, which must fit an exact division.
    var averageBits: Int { min(40, self.domain.exactBits - self.rowsBits - 1) }
    /// VAR: variance = q + frac / 2^varianceBits (scaled units²).
    var varianceBits: Int {
        max(1, min(40, self.domain.exactBits - 2 * self.rowsBits, self.domain.rootBits - self.spanSquareBits))
    }
}

/// A batch of divisions of the finals: n / d to `quotientBits` integer bits, then the remainder's `fractionBits`
/// binary places (a division of remainder · 2^fractionBits, below 2^fractionDividendBits).
private struct DivisionPart<Share: SharedVector> {
    var numerator: Share
    var denominator: Share
    var bits: Int
    var quotientBits: Int
    var divisorBits: Int
    var fractionBits: Int
    var fractionDividendBits: Int
}

/// Collects the final computations of the output cells and runs them batched: all averages in one pair of
/// divisions, all variances in another, all square roots in one — rounds do not grow with the number of groups.
struct Finalizer<E: MPCEngine> {
    typealias Share = E.Share
    let plan: QueryPlan
    let rowsBits: Int

    private enum Slot {
        case ready(Share)
        case average(Int)
        case variance(Int, root: Bool)
        case ratio(Int)
        case correlation(Int, squared: Bool)
    }

    /// A signed ratio numerator / denominator to `OutputLayout.ratioBits` places.
    private var ratios: [(numerator: Share, denominator: Share)] = []
    /// C, Dx, Dy and the square-root stretch k of each correlation.
    private var correlations: [(c: Share, u: Share, v: Share, k: Int)] = []
    /// Products to form before the ratios: numerator = Σ sign·left·right terms.
    private var pending:
        [(
            kind: QueryPlan.AggregateKind, count: Share, moments: MPCQueryProgram<E>.PairMoments,
            aggregate: QueryPlan.Aggregate
        )] = []

    private var slots: [Slot] = []
    private var averages: [(sum: Share, count: Share, precision: FinalPrecision)] = []
    private var variances: [(sum: Share, squares: Share, count: Share, sample: Bool, precision: FinalPrecision)] = []

    init(plan: QueryPlan, rowsBits: Int) {
        self.plan = plan
        self.rowsBits = rowsBits
    }

    mutating func plain(_ value: Share, negate: Bool = false) { self.slots.append(.ready(negate ? -value : value)) }

    mutating func average(sum: Share, count: Share, aggregate: QueryPlan.Aggregate) {
        self.slots.append(.average(self.averages.count))
        self.averages.append((sum, count, FinalPrecision(plan: self.plan, aggregate: aggregate)))
    }

    mutating func secondMoment(sum: Share, squares: Share, count: Share, aggregate: QueryPlan.Aggregate) {
        self.slots.append(
            .variance(self.variances.count, root: aggregate.kind == .stddevPop || aggregate.kind == .stddevSamp))
        self.variances.append(
            (
                sum, squares, count, aggregate.kind == .varSamp || aggregate.kind == .stddevSamp,
                FinalPrecision(plan: self.plan, aggregate: aggregate)
            ))
    }

    mutating func pair(_ aggregate: QueryPlan.Aggregate, count: Share, moments: MPCQueryProgram<E>.PairMoments) {
        switch aggregate.kind {
        case .corr, .regrR2:
            self.slots.append(.correlation(self.correlations.count, squared: aggregate.kind == .regrR2))
            self.correlations.append((moments.c, moments.u, moments.v, Self.stretch(self.plan, aggregate)))
        default:
            self.slots.append(.ratio(self.pending.count))
            self.pending.append((aggregate.kind, count, moments, aggregate))
        }
    }

    /// k with Dx·4^k, Dy·4^k below 2^rootBits for every row count up to maxRows (exact: Int128 bounds).
    static func stretch(_ plan: QueryPlan, _ aggregate: QueryPlan.Aggregate) -> Int {
        let rows = Int128(plan.table.maxRows)
        let span = max(Int128(aggregate.high - aggregate.low), Int128(aggregate.secondHigh - aggregate.secondLow))
        let largest = max(ExactBound.product(rows, rows, span, span) ?? .max, 1)
        return max(0, (plan.domain.rootBits - ExactBound.ceilLog2(largest) - 1) / 2)
    }

    /// Numerators and denominators of the signed ratios, then the ratios, batched.
    private mutating func computeRatios(_ engine: inout E) async throws -> [Share] {
        guard !self.pending.isEmpty else { return [] }
        var left: [Share] = [], right: [Share] = []
        for item in self.pending {
            let n = item.count
            switch item.kind {
            case .covarPop: left += [n]; right += [n]
            case .covarSamp: left += [n]; right += [engine.adding(n, constant: -1)]
            case .regrSlope: break
            default:  // intercept: (ΣY·Dx − C·ΣX) / (n·Dx) with unshifted sums
                let sumY = item.moments.sumY + n.scaled(by: item.aggregate.low)
                let sumX = item.moments.sumX + n.scaled(by: item.aggregate.secondLow)
                left += [sumY, item.moments.c, n]; right += [item.moments.u, sumX, item.moments.u]
            }
        }
        let products =
            left.isEmpty ? Share.zeros(0) : try await engine.multiply(.concatenate(left), .concatenate(right))
        var cursor = 0
        var numerators: [Share] = [], denominators: [Share] = []
        for item in self.pending {
            switch item.kind {
            case .covarPop, .covarSamp:
                numerators.append(item.moments.c); denominators.append(products.slice(cursor..<cursor + 1)); cursor += 1
            case .regrSlope:
                numerators.append(item.moments.c); denominators.append(item.moments.u)
            default:
                numerators.append(products.slice(cursor..<cursor + 1) - products.slice(cursor + 1..<cursor + 2))
                denominators.append(products.slice(cursor + 2..<cursor + 3)); cursor += 3
            }
        }
        let (sign, magnitude) = try await Self.signAndMagnitude(&engine, .concatenate(numerators))
        let exactBits = self.plan.domain.exactBits
        let (q, f) = try await engine.divideWithFraction(
            magnitude, by: .concatenate(denominators), bits: exactBits, quotientBits: exactBits,
            divisorBits: exactBits, fractionBits: OutputLayout.ratioBits)
        return (0..<self.pending.count).map {
            Share.concatenate([sign.slice($0..<$0 + 1), q.slice($0..<$0 + 1), f.slice($0..<$0 + 1)])
        }
    }

    /// [x < 0] and |x| for |x| < 2^exactBits.
    static func signAndMagnitude(_ engine: inout E, _ x: Share) async throws -> (Share, Share) {
        let sign = try await engine.lessThanZero(x, bits: E.traits.domain.integerBits - 1)
        return (sign, x - (try await engine.multiply(sign, x)).scaled(by: 2))
    }

    /// CORR = C / (√(Dx·4^k) · √(Dy·4^k) / 4^k) to `correlationBits` places; REGR_R2 its exact square.
    private mutating func computeCorrelations(_ engine: inout E) async throws -> [Share] {
        guard !self.correlations.isEmpty else { return [] }
        let k = self.correlations.count
        let stretched = Share.concatenate(
            self.correlations.map { $0.u.scaled(by: Int64(1) << Int64(2 * $0.k)) }
                + self.correlations.map { $0.v.scaled(by: Int64(1) << Int64(2 * $0.k)) })
        let roots = try await engine.squareRoot(stretched, bits: self.plan.domain.rootBits)
        let denominator = try await engine.multiply(roots.slice(0..<k), roots.slice(k..<2 * k))
        let (sign, magnitude) = try await Self.signAndMagnitude(&engine, .concatenate(self.correlations.map(\.c)))
        let numerator = Share.concatenate(
            (0..<k).map { magnitude.slice($0..<$0 + 1).scaled(by: Int64(1) << Int64(2 * self.correlations[$0].k)) })
        let exactBits = self.plan.domain.exactBits
        let (q, f) = try await engine.divideWithFraction(
            numerator, by: denominator, bits: exactBits, quotientBits: 2, divisorBits: exactBits,
            fractionBits: OutputLayout.correlationBits)
        let fixed = q.scaled(by: Int64(1) << Int64(OutputLayout.correlationBits)) + f
        let squares = try await engine.multiply(fixed, fixed)
        return (0..<k).flatMap { index -> [Share] in
            [
                Share.concatenate([
                    sign.slice(index..<index + 1), q.slice(index..<index + 1), f.slice(index..<index + 1),
                ]),
                squares.slice(index..<index + 1),
            ]
        }
    }

    mutating func compute(_ engine: inout E) async throws -> Share {
        let ratioCells = try await self.computeRatios(&engine)
        let correlationCells = try await self.computeCorrelations(&engine)
        // Averages and variances divide in the same batches (the rounds of the longer, not of both): first the
        // integer parts, then the fractions. Wider bounds than a part needs only cost it more of the same rounds.
        let a = self.averages.count, k = self.variances.count
        let batch = FinalPrecision.batch(self.plan)
        var parts: [DivisionPart<Share>] = []
        if a > 0 {
            let sumBits = self.averages.map { OutputLayout.bits($0.precision.span) + $0.precision.rowsBits }.max()!
            parts.append(
                DivisionPart<Share>(
                    numerator: .concatenate(self.averages.map(\.sum)),
                    denominator: .concatenate(self.averages.map(\.count)),
                    bits: min(self.plan.domain.exactBits, sumBits),
                    quotientBits: self.averages.map(\.precision.spanBits).max()! + 1, divisorBits: self.rowsBits + 1,
                    fractionBits: batch.average, fractionDividendBits: self.rowsBits + 1 + batch.average))
        }
        if k > 0 {
            let counts = Share.concatenate(self.variances.map(\.count))
            let sums = Share.concatenate(self.variances.map(\.sum))
            let squares = Share.concatenate(self.variances.map(\.squares))
            let lessOne = Share.concatenate(
                self.variances.map { $0.sample ? engine.adding($0.count, constant: -1) : $0.count })
            let products = try await engine.multiply(
                .concatenate([counts, sums, counts]), .concatenate([squares, sums, lessOne]))
            parts.append(
                DivisionPart<Share>(
                    numerator: products.slice(0..<k) - products.slice(k..<2 * k),  // n·Σx² − (Σx)² ≥ 0
                    denominator: products.slice(2 * k..<3 * k),  // n² or n(n − 1)
                    bits: min(
                        self.plan.domain.exactBits,
                        self.variances.map { 2 * $0.precision.rowsBits + $0.precision.spanSquareBits }.max()!),
                    quotientBits: self.variances.map(\.precision.spanSquareBits).max()! + 1,
                    divisorBits: 2 * self.rowsBits, fractionBits: batch.variance,
                    fractionDividendBits: min(self.plan.domain.exactBits, 2 * self.rowsBits + batch.variance)))
        }
        var averageCells: [Share] = []
        var varianceCells: [Share] = []
        var roots: [Share] = []
        if !parts.isEmpty {
            let numerators = Share.concatenate(parts.map(\.numerator))
            let denominators = Share.concatenate(parts.map(\.denominator))
            let divisorBits = parts.map(\.divisorBits).max()!
            let q = try await engine.divide(
                numerators, by: denominators, bits: parts.map(\.bits).max()!,
                quotientBits: parts.map(\.quotientBits).max()!, divisorBits: divisorBits)
            let remainders = numerators - (try await engine.multiply(q, denominators))
            var offset = 0
            let scaled = Share.concatenate(
                parts.map { part in
                    defer { offset += part.numerator.count }
                    return remainders.slice(offset..<offset + part.numerator.count).scaled(
                        by: Int64(1) << Int64(part.fractionBits))
                })
            let fraction = try await engine.divide(
                scaled, by: denominators, bits: parts.map(\.fractionDividendBits).max()!,
                quotientBits: parts.map(\.fractionBits).max()!, divisorBits: divisorBits)
            let cells = (0..<numerators.count).map {
                Share.concatenate([q.slice($0..<$0 + 1), fraction.slice($0..<$0 + 1)])
            }
            averageCells = Array(cells.prefix(a))
            varianceCells = Array(cells.dropFirst(a))
        }
        if k > 0 {
            let f = batch.variance
            let q = Share.concatenate(varianceCells.map { $0.slice(0..<1) })
            let fraction = Share.concatenate(varianceCells.map { $0.slice(1..<2) })
            let rooted = (0..<k).filter { index in
                self.slots.contains { if case .variance(index, true) = $0 { return true } else { return false } }
            }
            if !rooted.isEmpty {
                let fixed = Share.concatenate(
                    rooted.map {
                        let stretch = self.variances[$0].precision.stretch(variance: f)
                        return q.slice($0..<$0 + 1).scaled(by: Int64(1) << Int64(f + stretch))
                            + fraction.slice($0..<$0 + 1).scaled(by: Int64(1) << Int64(stretch))
                    })
                let root = try await engine.squareRoot(fixed, bits: self.plan.domain.rootBits)
                roots = Array(repeating: .zeros(0), count: k)
                for (position, index) in rooted.enumerated() { roots[index] = root.slice(position..<position + 1) }
            }
        }
        return .concatenate(
            self.slots.map { slot in
                switch slot {
                case .ready(let share): return share
                case .average(let index): return averageCells[index]
                case .variance(let index, let root): return root ? roots[index] : varianceCells[index]
                case .ratio(let index): return ratioCells[index]
                case .correlation(let index, let squared): return correlationCells[2 * index + (squared ? 1 : 0)]
                }
            })
    }
}

extension FinalPrecision {
    /// The precisions of the batches, from the plan alone (the output party decodes with the same): the smallest
    /// any aggregate allows.
    static func batch(_ plan: QueryPlan) -> (average: Int, variance: Int) {
        let precisions = plan.aggregates.map { FinalPrecision(plan: plan, aggregate: $0) }
        let averages = zip(plan.aggregates, precisions).filter { $0.0.kind == .avg }.map(\.1)
        let variances = zip(plan.aggregates, precisions).filter { $0.0.kind.isSecondMoment }.map(\.1)
        return (averages.map(\.averageBits).min() ?? 0, variances.map(\.varianceBits).min() ?? 0)
    }

    /// The square-root stretch of this aggregate's variance (v with `variance` fraction bits): the largest that keeps
    /// v · 2^stretch below 2^rootBits for its own span, even with `variance`, so that a STDDEV keeps its precision
    /// beside a variance of a much wider column.
    func stretch(variance: Int) -> Int {
        var stretch = max(0, self.domain.rootBits - self.spanSquareBits - variance)
        if (stretch + variance) % 2 == 1 { stretch -= 1 }
        return max(0, stretch)
    }
}
