import ConsortMPC
import ConsortSpec
import Foundation

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

    init(plan: QueryPlan, facts: MPCQueryProgram.PublicFacts, groups: Int) {
        for g in 0..<groups where !facts.suppressed[g] {
            for (a, aggregate) in plan.aggregates.enumerated() {
                if aggregate.kind != .count, facts.empty[g] { continue }
                if [.varSamp, .stddevSamp, .covarSamp].contains(aggregate.kind), facts.single[g] { continue }
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
}

/// The fixed-point precision of each final: derived from the plan alone, so parties and output party agree.
struct FinalPrecision {
    var rowsBits: Int
    var span: UInt64

    init(plan: QueryPlan, aggregate: QueryPlan.Aggregate) {
        self.rowsBits = MPCQueryProgram.bits(UInt64(plan.table.maxRows))
        self.span = UInt64(max(1, aggregate.high - aggregate.low))
    }

    var spanBits: Int { MPCQueryProgram.bits(self.span) }
    var spanSquareBits: Int { MPCQueryProgram.bits(self.span * self.span) }
    /// AVG: mean = low + q + frac / 2^averageBits.
    var averageBits: Int { min(40, 61 - self.rowsBits) }
    /// VAR: variance = q + frac / 2^varianceBits (scaled units²).
    var varianceBits: Int { max(1, min(40, 61 - 2 * self.rowsBits, 60 - self.spanSquareBits)) }
}

/// Collects the final computations of the output cells and runs them batched: all averages in one pair of
/// divisions, all variances in another, all square roots in one — rounds do not grow with the number of groups.
struct Finalizer {
    let plan: QueryPlan
    let rowsBits: Int

    private enum Slot {
        case ready(Replicated3.Share)
        case average(Int)
        case variance(Int, root: Bool)
        case ratio(Int)
        case correlation(Int, squared: Bool)
    }

    /// A signed ratio numerator / denominator to `OutputLayout.ratioBits` places.
    private var ratios: [(numerator: Replicated3.Share, denominator: Replicated3.Share)] = []
    /// C, Dx, Dy and the square-root stretch k of each correlation.
    private var correlations: [(c: Replicated3.Share, u: Replicated3.Share, v: Replicated3.Share, k: Int)] = []
    /// Products to form before the ratios: numerator = Σ sign·left·right terms.
    private var pending: [(kind: QueryPlan.AggregateKind, count: Replicated3.Share, moments: MPCQueryProgram.PairMoments, aggregate: QueryPlan.Aggregate)] = []

    private var slots: [Slot] = []
    private var averages: [(sum: Replicated3.Share, count: Replicated3.Share, precision: FinalPrecision)] = []
    private var variances: [(sum: Replicated3.Share, squares: Replicated3.Share, count: Replicated3.Share, sample: Bool, precision: FinalPrecision)] = []

    init(plan: QueryPlan, rowsBits: Int) {
        self.plan = plan
        self.rowsBits = rowsBits
    }

    mutating func plain(_ value: Replicated3.Share, negate: Bool = false) { self.slots.append(.ready(negate ? -value : value)) }

    mutating func average(sum: Replicated3.Share, count: Replicated3.Share, aggregate: QueryPlan.Aggregate) {
        self.slots.append(.average(self.averages.count))
        self.averages.append((sum, count, FinalPrecision(plan: self.plan, aggregate: aggregate)))
    }

    mutating func secondMoment(sum: Replicated3.Share, squares: Replicated3.Share, count: Replicated3.Share, aggregate: QueryPlan.Aggregate) {
        self.slots.append(.variance(self.variances.count, root: aggregate.kind == .stddevPop || aggregate.kind == .stddevSamp))
        self.variances.append((sum, squares, count, aggregate.kind == .varSamp || aggregate.kind == .stddevSamp,
                               FinalPrecision(plan: self.plan, aggregate: aggregate)))
    }

    mutating func pair(_ aggregate: QueryPlan.Aggregate, count: Replicated3.Share, moments: MPCQueryProgram.PairMoments) {
        switch aggregate.kind {
        case .corr, .regrR2:
            self.slots.append(.correlation(self.correlations.count, squared: aggregate.kind == .regrR2))
            self.correlations.append((moments.c, moments.u, moments.v, Self.stretch(self.plan, aggregate)))
        default:
            self.slots.append(.ratio(self.pending.count))
            self.pending.append((aggregate.kind, count, moments, aggregate))
        }
    }

    /// k with Dx·4^k, Dy·4^k < 2^60 for every row count up to maxRows.
    static func stretch(_ plan: QueryPlan, _ aggregate: QueryPlan.Aggregate) -> Int {
        let rows = Double(plan.table.maxRows)
        let spans = [Double(aggregate.high - aggregate.low), Double(aggregate.secondHigh - aggregate.secondLow)]
        let largest = rows * rows * spans.map { $0 * $0 }.max()!
        return max(0, (60 - Int(Foundation.log2(max(largest, 1)).rounded(.up)) - 1) / 2)
    }

    /// Numerators and denominators of the signed ratios, then the ratios, batched.
    private mutating func computeRatios(_ session: inout MPCSession) async throws -> [Replicated3.Share] {
        guard !self.pending.isEmpty else { return [] }
        var left: [Replicated3.Share] = [], right: [Replicated3.Share] = []
        for item in self.pending {
            let n = item.count
            switch item.kind {
            case .covarPop: left += [n]; right += [n]
            case .covarSamp: left += [n]; right += [n.adding(constant: UInt64.max, party: session.party)]
            case .regrSlope: break
            default:  // intercept: (ΣY·Dx − C·ΣX) / (n·Dx) with unshifted sums
                let sumY = item.moments.sumY + n.scaled(by: UInt64(bitPattern: item.aggregate.low))
                let sumX = item.moments.sumX + n.scaled(by: UInt64(bitPattern: item.aggregate.secondLow))
                left += [sumY, item.moments.c, n]; right += [item.moments.u, sumX, item.moments.u]
            }
        }
        let products = left.isEmpty ? Replicated3.Share.zeros(0) : try await session.multiply(.concatenate(left), .concatenate(right))
        var cursor = 0
        var numerators: [Replicated3.Share] = [], denominators: [Replicated3.Share] = []
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
        let (sign, magnitude) = try await Self.signAndMagnitude(&session, .concatenate(numerators))
        let (q, f) = try await session.divideWithFraction(magnitude, by: .concatenate(denominators), bits: 61, quotientBits: 61,
                                                          divisorBits: 61, fractionBits: OutputLayout.ratioBits)
        return (0..<self.pending.count).map { Replicated3.Share.concatenate([sign.slice($0..<$0 + 1), q.slice($0..<$0 + 1), f.slice($0..<$0 + 1)]) }
    }

    /// [x < 0] and |x| for |x| < 2^61.
    static func signAndMagnitude(_ session: inout MPCSession, _ x: Replicated3.Share) async throws -> (Replicated3.Share, Replicated3.Share) {
        let sign = try await session.lessThanZero(x, bits: 63)
        return (sign, x - (try await session.multiply(sign, x)).scaled(by: 2))
    }

    /// CORR = C / (√(Dx·4^k) · √(Dy·4^k) / 4^k) to `correlationBits` places; REGR_R2 its exact square.
    private mutating func computeCorrelations(_ session: inout MPCSession) async throws -> [Replicated3.Share] {
        guard !self.correlations.isEmpty else { return [] }
        let k = self.correlations.count
        let stretched = Replicated3.Share.concatenate(self.correlations.map { $0.u.scaled(by: UInt64(1) << UInt64(2 * $0.k)) }
            + self.correlations.map { $0.v.scaled(by: UInt64(1) << UInt64(2 * $0.k)) })
        let roots = try await session.squareRoot(stretched, bits: 60)
        let denominator = try await session.multiply(roots.slice(0..<k), roots.slice(k..<2 * k))
        let (sign, magnitude) = try await Self.signAndMagnitude(&session, .concatenate(self.correlations.map(\.c)))
        let numerator = Replicated3.Share.concatenate((0..<k).map { magnitude.slice($0..<$0 + 1).scaled(by: UInt64(1) << UInt64(2 * self.correlations[$0].k)) })
        let (q, f) = try await session.divideWithFraction(numerator, by: denominator, bits: 61, quotientBits: 2, divisorBits: 61,
                                                          fractionBits: OutputLayout.correlationBits)
        let fixed = q.scaled(by: UInt64(1) << UInt64(OutputLayout.correlationBits)) + f
        let squares = try await session.multiply(fixed, fixed)
        return (0..<k).flatMap { index -> [Replicated3.Share] in
            [Replicated3.Share.concatenate([sign.slice(index..<index + 1), q.slice(index..<index + 1), f.slice(index..<index + 1)]),
             squares.slice(index..<index + 1)]
        }
    }

    mutating func compute(_ session: inout MPCSession) async throws -> Replicated3.Share {
        let ratioCells = try await self.computeRatios(&session)
        let correlationCells = try await self.computeCorrelations(&session)
        var averageCells: [Replicated3.Share] = []
        if !self.averages.isEmpty {
            let sums = Replicated3.Share.concatenate(self.averages.map(\.sum))
            let counts = Replicated3.Share.concatenate(self.averages.map(\.count))
            let f = Self.batchPrecision(self.plan).average
            let sumBits = self.averages.map { MPCQueryProgram.bits($0.precision.span) + $0.precision.rowsBits }.max()!
            let q = try await session.divide(sums, by: counts, bits: min(61, sumBits), quotientBits: self.averages.map(\.precision.spanBits).max()! + 1,
                                             divisorBits: self.rowsBits + 1)
            let remainder = sums - (try await session.multiply(q, counts))
            let fraction = try await session.divide(remainder.scaled(by: UInt64(1) << UInt64(f)), by: counts, bits: self.rowsBits + 1 + f,
                                                    quotientBits: f, divisorBits: self.rowsBits + 1)
            averageCells = (0..<self.averages.count).map { Replicated3.Share.concatenate([q.slice($0..<$0 + 1), fraction.slice($0..<$0 + 1)]) }
        }
        var varianceCells: [Replicated3.Share] = []
        var roots: [Replicated3.Share] = []
        if !self.variances.isEmpty {
            let k = self.variances.count
            let counts = Replicated3.Share.concatenate(self.variances.map(\.count))
            let sums = Replicated3.Share.concatenate(self.variances.map(\.sum))
            let squares = Replicated3.Share.concatenate(self.variances.map(\.squares))
            let lessOne = Replicated3.Share.concatenate(self.variances.map { $0.sample ? $0.count.adding(constant: UInt64.max, party: session.party) : $0.count })
            let products = try await session.multiply(.concatenate([counts, sums, counts]), .concatenate([squares, sums, lessOne]))
            let numerator = products.slice(0..<k) - products.slice(k..<2 * k)  // n·Σx² − (Σx)² ≥ 0
            let denominator = products.slice(2 * k..<3 * k)  // n² or n(n − 1)
            let f = Self.batchPrecision(self.plan).variance
            let numeratorBits = min(61, self.variances.map { 2 * $0.precision.rowsBits + $0.precision.spanSquareBits }.max()!)
            let q = try await session.divide(numerator, by: denominator, bits: numeratorBits,
                                             quotientBits: self.variances.map(\.precision.spanSquareBits).max()! + 1, divisorBits: 2 * self.rowsBits)
            let remainder = numerator - (try await session.multiply(q, denominator))
            let fraction = try await session.divide(remainder.scaled(by: UInt64(1) << UInt64(f)), by: denominator, bits: min(61, 2 * self.rowsBits + f),
                                                    quotientBits: f, divisorBits: 2 * self.rowsBits)
            varianceCells = (0..<k).map { Replicated3.Share.concatenate([q.slice($0..<$0 + 1), fraction.slice($0..<$0 + 1)]) }
            let rooted = (0..<k).filter { index in self.slots.contains { if case .variance(index, true) = $0 { return true } else { return false } } }
            if !rooted.isEmpty {
                let stretch = Self.batchPrecision(self.plan).stretch
                let fixed = Replicated3.Share.concatenate(rooted.map { q.slice($0..<$0 + 1).scaled(by: UInt64(1) << UInt64(f + stretch))
                    + fraction.slice($0..<$0 + 1).scaled(by: UInt64(1) << UInt64(stretch)) })
                let root = try await session.squareRoot(fixed, bits: 60)
                roots = Array(repeating: .zeros(0), count: k)
                for (position, index) in rooted.enumerated() { roots[index] = root.slice(position..<position + 1) }
            }
        }
        return .concatenate(self.slots.map { slot in
            switch slot {
            case .ready(let share): return share
            case .average(let index): return averageCells[index]
            case .variance(let index, let root): return root ? roots[index] : varianceCells[index]
            case .ratio(let index): return ratioCells[index]
            case .correlation(let index, let squared): return correlationCells[2 * index + (squared ? 1 : 0)]
            }
        })
    }

    /// The precisions of the batches, from the plan alone (the output party decodes with the same): the smallest
    /// any aggregate allows, and a square-root stretch that keeps every v · 2^stretch below 2^60.
    static func batchPrecision(_ plan: QueryPlan) -> (average: Int, variance: Int, stretch: Int) {
        let precisions = plan.aggregates.map { FinalPrecision(plan: plan, aggregate: $0) }
        let averages = zip(plan.aggregates, precisions).filter { $0.0.kind == .avg }.map(\.1)
        let variances = zip(plan.aggregates, precisions).filter { $0.0.kind.isSecondMoment }.map(\.1)
        let variance = variances.map(\.varianceBits).min() ?? 0
        var stretch = max(0, 60 - (variances.map(\.spanSquareBits).max() ?? 0) - variance)
        if (stretch + variance) % 2 == 1 { stretch -= 1 }
        return (averages.map(\.averageBits).min() ?? 0, variance, max(0, stretch))
    }
}
