import ConsortMPC

/// Rows a computation reads at a time unless configured otherwise: small enough that a chunk's working set stays in
/// the caches (at 2·10^6 rows the MPC took 7.6 s in chunks of 2^17 rows, 9.6 s in chunks of 2^19), large enough that
/// the rounds per chunk do not dominate on a LAN.
package let defaultChunkRows = 1 << 17

extension MPCQueryProgram {
    /// Whether the plan can run a chunk of rows at a time (`run(_:chunkRows:load:)`): one input, no join and no unique
    /// key (they sort whole columns), and only aggregates that are sums over rows — COUNT, SUM, AVG, VAR and STDDEV —
    /// so that the chunks' group totals add up.
    package static func runsInChunks(_ plan: QueryPlan) -> Bool {
        plan.join == nil && plan.inputs.count == 1 && plan.inputs[0].uniqueKeys.isEmpty && Self.aggregatesAddUp(plan)
    }

    /// Whether every aggregate is a sum over rows — COUNT, SUM, AVG, VAR and STDDEV — whose totals over disjoint rows
    /// add up.
    static func aggregatesAddUp(_ plan: QueryPlan) -> Bool {
        plan.aggregates.allSatisfy { [.count, .sum, .avg].contains($0.kind) || $0.kind.isSecondMoment }
    }

    /// Runs the plan on a table too large to hold whole, `chunkRows` rows at a time (`load` gives this party's shares
    /// of the stored columns at a range of rows), so that memory follows the chunk, not the table. Two passes: the
    /// data model over every chunk, opened before anything else runs on the values; then the quality rules, the
    /// exclusions, WHERE and the group totals, which add up over chunks. It opens exactly what `run(_:inputs:)`
    /// opens; it takes more rounds (those of a chunk, per chunk).
    package func run(_ engine: inout E, chunkRows: Int, load: (Range<Int>) throws -> [Share]) async throws
        -> PartyResult<Share>
    {
        precondition(Self.runsInChunks(self.plan) && chunkRows > 0)
        let input = self.plan.inputs[0]
        let starts = stride(from: 0, to: self.rows, by: chunkRows)
        let chunks = self.rows == 0 ? [0..<0] : starts.map { $0..<min($0 + chunkRows, self.rows) }
        var outside: Share? = nil
        for range in chunks {
            let columns = try load(range)
            try await engine.verifyInputs(columns)
            let counts = try await self.outsideCounts(&engine, inputs: [columns])
            outside = outside.map { $0 + counts } ?? counts
        }
        var abortFailures = try await self.anyPositive(&engine, outside ?? .zeros(0))
        if abortFailures.contains(true) { return Self.aborted(abortFailures) }

        var failing: Share? = nil
        var excluded: Share? = nil
        var totals: RowTotals? = nil
        var groups = 1
        for range in chunks {
            // Read again, so checked again: this pass computes on exactly what was checked.
            let columns = try load(range)
            try await engine.verifyInputs(columns)
            var evaluator = Evaluator<E>(columns: columns, rows: range.count)
            let rows = engine.constant(Int64(range.count), count: 1)
            var fails: [Share] = []
            for (_, rule) in input.aborts {
                fails.append(rows - (try await evaluator.evaluate(rule, &engine).total()))
            }
            let kept = try await Self.kept(
                &engine, evaluator: &evaluator, rules: input.exclusions, rows: range.count)
            let grouped = try await self.grouped(&engine, evaluator: &evaluator, kept: kept, rows: range.count)
            groups = grouped.groups
            let (chunkFails, dropped) = (Share.concatenate(fails), rows - kept.total())
            failing = failing.map { $0 + chunkFails } ?? chunkFails
            excluded = excluded.map { $0 + dropped } ?? dropped
            totals = totals.map { $0 + grouped.totals } ?? grouped.totals
        }
        abortFailures += try await self.anyPositive(&engine, failing ?? .zeros(0))
        if abortFailures.contains(true) { return Self.aborted(abortFailures) }
        return try await self.release(
            &engine, abortFailures: abortFailures, cells: self.plan.excluding.isEmpty ? [] : [excluded!],
            totals: totals!, groups: groups, minima: [:], percentiles: [:], pairMoments: [:])
    }
}
