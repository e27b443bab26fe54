import ConsortMPC
import ConsortSpec

/// Runs a plan under MPC with the computing parties of an engine in this process (in-memory links): input parties'
/// rows are secret-shared column by column, the parties run `MPCQueryProgram`, and the output party reconstructs the
/// cells from every party's shares (the engine checks that they fit together).
package enum MPCQueryEngine {
    package struct Timings: Sendable {
        package var sharing: Duration
        package var computing: Duration
        package var rounds: Int
        /// The most bytes one party sent, and all parties' together.
        package var bytesPerParty: Int
        package var bytes: Int
    }

    /// Runs `plan` on the rows of each of its inputs with the engine of the plan's CTS descriptor.
    package static func run(
        _ plan: QueryPlan, on inputs: [TableData], engine descriptor: EngineDescriptor, chunkRows: Int? = nil
    ) async throws -> (QueryResult, Timings) {
        try await self.run(
            plan, on: inputs, engine: try EngineRegistry.shared.engine(for: descriptor), chunkRows: chunkRows)
    }

    package static func run<E: MPCEngine>(_ plan: QueryPlan, on data: TableData, engine: E.Type) async throws -> (
        QueryResult, Timings
    ) {
        try await self.run(plan, on: [data], engine: engine)
    }

    /// With `chunkRows`, a plan that allows it reads its table that many rows at a time (as a node does); with
    /// `sliceRows`, a whole-column run batches that many rows at a time (`MPCQueryProgram.sliceRows`).
    package static func run<E: MPCEngine>(
        _ plan: QueryPlan, on inputs: [TableData], engine: E.Type, chunkRows: Int? = nil, sliceRows: Int? = nil
    ) async throws -> (QueryResult, Timings) {
        guard inputs.count == plan.inputs.count else {
            throw QueryError(
                .invalidData, "the query reads \(plan.inputs.count) tables, but \(inputs.count) were given")
        }
        let parties = E.traits.parties.lowerBound
        let start = ContinuousClock.now
        let dealt = try inputs.map { data in try data.columns.map { try E.deal($0, parties: parties) } }
        let shared = ContinuousClock.now
        var configured = MPCQueryProgram<E>(plan: plan, rows: inputs.map(\.rows))
        if let sliceRows { configured.sliceRows = sliceRows }
        let program = configured
        let network = InMemoryNetwork(parties: parties)
        let outcomes = try await withThrowingTaskGroup(of: (Int, PartyResult<E.Share>, Int, Int).self) { group in
            for party in 0..<parties {
                group.addTask {
                    do {
                        var engine = try await E.establish(transport: network.transport(for: party))
                        let inputs = dealt.map { columns in columns.map { $0[party] } }
                        let result =
                            if let chunkRows, MPCQueryProgram<E>.runsInChunks(plan) {
                                try await program.run(&engine, chunkRows: chunkRows) { range in
                                    inputs[0].map { $0.slice(range) }
                                }
                            } else {
                                try await program.run(&engine, inputs: inputs)
                            }
                        try await engine.finish()
                        return (party, result, engine.rounds, engine.bytesSent)
                    } catch {
                        network.disconnect(party)
                        throw error
                    }
                }
            }
            var outcomes = [(PartyResult<E.Share>, Int, Int)?](repeating: nil, count: parties)
            for try await (party, result, rounds, bytes) in group { outcomes[party] = (result, rounds, bytes) }
            return outcomes.map { $0! }
        }
        let computed = ContinuousClock.now
        let result = try Self.reconstruct(plan, results: outcomes.map(\.0), engine: E.self)
        let timings = Timings(
            sharing: shared - start, computing: computed - shared, rounds: outcomes.map(\.1).max()!,
            bytesPerParty: outcomes.map(\.2).max()!, bytes: outcomes.map(\.2).reduce(0, +))
        return (result, timings)
    }

    /// The output party's side for the results of every computing party: their facts must agree, the engine must
    /// accept their shares as consistent (tampering is detected), then the cells are decoded in the layout the
    /// parties used.
    package static func reconstruct<E: MPCEngine>(_ plan: QueryPlan, results: [PartyResult<E.Share>], engine: E.Type)
        throws -> QueryResult
    {
        guard let facts = results.first?.facts, results.allSatisfy({ $0.facts == facts }) else {
            throw MPCError(.inconsistentShares, "the computing parties disagree on the opened facts")
        }
        if let reason = plan.abortReason(facts.abortFailures) { throw QueryError(.qualityAbort, reason) }
        return try Self.decode(plan, facts: facts, words: try E.combine(results.map(\.cells)))
    }

    static func decode(_ plan: QueryPlan, facts: PublicFacts, words: [Int64]) throws -> QueryResult {
        let groups = plan.groupCount
        var cursor = 0
        func take(_ count: Int) throws -> [Int64] {
            guard cursor + count <= words.count else {
                throw MPCError(.protocolViolation, "the output shares are shorter than the layout")
            }
            defer { cursor += count }
            return Array(words[cursor..<cursor + count])
        }
        var result = QueryResult(plan: plan, excludedRows: [:])
        for index in plan.excluding { result.excludedRows[plan.inputs[index].table.name] = Int(try take(1)[0]) }
        let precision = FinalPrecision.batch(plan)
        var cells: [Int: [Int: ResultValue]] = [:]
        for item in OutputLayout(plan: plan, facts: facts, groups: groups).items {
            let aggregate = plan.aggregates[item.aggregate]
            let value = try take(item.width)
            let scale = aggregate.scale
            func decimal(_ units: Int64) -> ResultValue {
                scale == 0 ? .integer(units) : .decimal(units: units, scale: scale)
            }
            let cell: ResultValue
            switch aggregate.kind {
            case .count: cell = .integer(value[0])
            case .sum, .min: cell = decimal(value[0])
            case .max: cell = decimal(value[0])
            case .avg:
                let mean =
                    Double(aggregate.low) + Double(value[0]) + Double(value[1])
                    / Double(UInt64(1) << UInt64(precision.average))
                cell = .real(mean / pow10(scale))
            case .varPop, .varSamp:
                cell = .real(
                    (Double(value[0]) + Double(value[1]) / Double(UInt64(1) << UInt64(precision.variance)))
                        / pow10(2 * scale))
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
                cell =
                    item.width == 0
                    ? .real(1) : .real(Double(value[0]) / Double(UInt64(1) << UInt64(2 * OutputLayout.correlationBits)))
            case .percentileCont:
                cell = .real(
                    (Double(value[0]) / Double(aggregate.fraction.denominator) + Double(aggregate.low)) / pow10(scale))
            case .stddevPop, .stddevSamp:
                let stretch = FinalPrecision(plan: plan, aggregate: aggregate).stretch(variance: precision.variance)
                let halfBits = (precision.variance + stretch) / 2
                cell = .real(Double(value[0]) / Double(UInt64(1) << UInt64(halfBits)) / pow10(scale))
            }
            cells[item.group, default: [:]][item.aggregate] = cell
        }
        guard cursor == words.count else {
            throw MPCError(.protocolViolation, "the output shares are longer than the layout")
        }
        for g in 0..<groups {
            if facts.suppressed[g] { result.suppressed += 1 }
            result.rows.append(
                plan.outputs.map { output in
                    switch output.source {
                    case .group(let key): return plan.label(of: g, key: key)
                    case .aggregate(let index): return facts.suppressed[g] ? nil : cells[g]?[index]
                    }
                })
        }
        return result
    }
}
