import ConsortMPC
import ConsortSpec

/// Runs a plan under MPC with the three computing parties in this process (in-memory links): input parties' rows are
/// secret-shared column by column, the parties run `MPCQueryProgram`, and the output party reconstructs the cells
/// from all three parties' shares (checking that the replicated components agree).
package enum MPCQueryEngine {
    package struct Timings: Sendable {
        package var sharing: Duration
        package var computing: Duration
        package var rounds: Int
        package var bytesPerParty: Int
    }

    package static func run(_ plan: QueryPlan, on data: TableData) async throws -> (QueryResult, Timings) {
        let start = ContinuousClock.now
        let dealt = data.columns.map { Replicated3.share($0.map { UInt64(bitPattern: $0) }).shares }
        let shared = ContinuousClock.now
        let program = MPCQueryProgram(plan: plan, rows: data.rows)
        let network = InMemoryNetwork()
        let outcomes = try await withThrowingTaskGroup(of: (Int, MPCQueryProgram.PartyResult, Int, Int).self) { group in
            for party in 0..<3 {
                group.addTask {
                    do {
                        var session = try await MPCSession.establish(transport: network.transport(for: party))
                        let result = try await program.run(&session, columns: dealt.map { $0[party] })
                        return (party, result, session.rounds, session.bytesSent)
                    } catch {
                        network.disconnect(party)
                        throw error
                    }
                }
            }
            var outcomes = [(MPCQueryProgram.PartyResult, Int, Int)?](repeating: nil, count: 3)
            for try await (party, result, rounds, bytes) in group { outcomes[party] = (result, rounds, bytes) }
            return outcomes.map { $0! }
        }
        let computed = ContinuousClock.now
        let facts = outcomes[0].0.facts
        guard outcomes.allSatisfy({ $0.0.facts == facts }) else {
            throw MPCError(.protocolViolation, "the computing parties disagree on the opened facts")
        }
        if let failed = facts.abortFailures.firstIndex(of: true) {
            throw QueryError(.qualityAbort, "quality rule '\(plan.aborts[failed].name)' fails for at least one \(plan.table.name) row: the task aborts")
        }
        let words = try Replicated3.reconstruct(outcomes.map(\.0.cells)).map { Int64(bitPattern: $0) }
        let result = try Self.decode(plan, facts: facts, words: words)
        let timings = Timings(sharing: shared - start, computing: computed - shared, rounds: outcomes.map(\.1).max()!,
                              bytesPerParty: outcomes.map(\.2).max()!)
        return (result, timings)
    }

    /// The output party's side: cells from the reconstructed words, in the layout the parties used.
    /// The output party's side for shares collected from three computing parties: their facts must agree, their
    /// replicated components must agree (tampering is detected), then the cells are decoded.
    package static func reconstruct(_ plan: QueryPlan, results: [MPCQueryProgram.PartyResult]) throws -> QueryResult {
        guard results.count == 3, let facts = results.first?.facts, results.allSatisfy({ $0.facts == facts }) else {
            throw MPCError(.inconsistentShares, "the computing parties disagree on the opened facts")
        }
        if let failed = facts.abortFailures.firstIndex(of: true) {
            throw QueryError(.qualityAbort, "quality rule '\(plan.aborts[failed].name)' fails for at least one \(plan.table.name) row: the task aborts")
        }
        return try Self.decode(plan, facts: facts, words: try Replicated3.reconstruct(results.map(\.cells)).map { Int64(bitPattern: $0) })
    }

    static func decode(_ plan: QueryPlan, facts: MPCQueryProgram.PublicFacts, words: [Int64]) throws -> QueryResult {
        let groups = plan.groupCount
        var cursor = 0
        func take(_ count: Int) throws -> [Int64] {
            guard cursor + count <= words.count else { throw MPCError(.protocolViolation, "the output shares are shorter than the layout") }
            defer { cursor += count }
            return Array(words[cursor..<cursor + count])
        }
        var result = QueryResult(columns: plan.outputs.map(\.name), types: plan.outputs.map(\.type), rows: [], suppressed: 0, excludedRows: [:])
        if !plan.exclusions.isEmpty { result.excludedRows[plan.table.name] = Int(try take(1)[0]) }
        let precision = Finalizer.batchPrecision(plan)
        var cells: [Int: [Int: ResultValue]] = [:]
        for item in OutputLayout(plan: plan, facts: facts, groups: groups).items {
            let aggregate = plan.aggregates[item.aggregate]
            let value = try take(item.width)
            let scale = aggregate.scale
            func decimal(_ units: Int64) -> ResultValue { scale == 0 ? .integer(units) : .decimal(units: units, scale: scale) }
            let cell: ResultValue
            switch aggregate.kind {
            case .count: cell = .integer(value[0])
            case .sum, .min: cell = decimal(value[0])
            case .max: cell = decimal(value[0])
            case .avg:
                let mean = Double(aggregate.low) + Double(value[0]) + Double(value[1]) / Double(UInt64(1) << UInt64(precision.average))
                cell = .real(mean / pow10(scale))
            case .varPop, .varSamp:
                cell = .real((Double(value[0]) + Double(value[1]) / Double(UInt64(1) << UInt64(precision.variance))) / pow10(2 * scale))
            case .percentileDisc: cell = decimal(value[0] + aggregate.low)
            case .covarPop, .covarSamp, .regrSlope, .regrIntercept, .corr:
                let places = aggregate.kind == .corr ? OutputLayout.correlationBits : OutputLayout.ratioBits
                let magnitude = Double(value[1]) + Double(value[2]) / Double(UInt64(1) << UInt64(places))
                let signed = value[0] == 1 ? -magnitude : magnitude
                switch aggregate.kind {
                case .covarPop, .covarSamp: cell = .real(signed / pow10(scale + aggregate.secondScale))
                case .regrSlope: cell = .real(signed * pow10(aggregate.secondScale) / pow10(scale))
                case .regrIntercept: cell = .real(signed / pow10(scale))
                default: cell = .real(signed)
                }
            case .regrR2:
                cell = item.width == 0 ? .real(1) : .real(Double(value[0]) / Double(UInt64(1) << UInt64(2 * OutputLayout.correlationBits)))
            case .percentileCont:
                cell = .real((Double(value[0]) / Double(aggregate.fraction.denominator) + Double(aggregate.low)) / pow10(scale))
            case .stddevPop, .stddevSamp:
                let halfBits = (precision.variance + precision.stretch) / 2
                cell = .real(Double(value[0]) / Double(UInt64(1) << UInt64(halfBits)) / pow10(scale))
            }
            cells[item.group, default: [:]][item.aggregate] = cell
        }
        guard cursor == words.count else { throw MPCError(.protocolViolation, "the output shares are longer than the layout") }
        for g in 0..<groups {
            if facts.suppressed[g] { result.suppressed += 1 }
            result.rows.append(plan.outputs.map { output in
                switch output.source {
                case .group(let key): return plan.label(of: g, key: key)
                case .aggregate(let index): return facts.suppressed[g] ? nil : cells[g]?[index]
                }
            })
        }
        return result
    }
}
