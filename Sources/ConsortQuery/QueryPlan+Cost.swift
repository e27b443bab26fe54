import ConsortMPC
import ConsortSpec

extension QueryPlan {
    /// What a run of the plan costs on engine `E` at `rows` rows per input (capped by, and by default, each table's
    /// `maxRows`): the query's
    /// program run on a `CostEstimator`, which prices every operation with `E`'s cost model. Every group is assumed
    /// present and unsuppressed, so this is the most a run costs (sorts at their expected cost).
    package func costEstimate<E: MPCEngine>(on engine: E.Type, rows: Int? = nil) async throws -> OperationCost {
        let counts = self.inputs.map { min(rows ?? $0.table.maxRows, $0.table.maxRows) }
        var estimator = CostEstimator<E>()
        let inputs = zip(self.inputs, counts).map { input, count in
            input.table.storedColumnNames.map { _ in CostEstimator<E>.Share(count: count) }
        }
        _ = try await MPCQueryProgram<CostEstimator<E>>(plan: self, rows: counts).run(&estimator, inputs: inputs)
        try await estimator.finish()
        return estimator.cost
    }
}
