import ConsortMPC
import ConsortSpec

extension QueryPlan {
    /// What a run of the plan costs on engine `E` at `rows` rows (the table's `maxRows` by default): the query's
    /// program run on a `CostEstimator`, which prices every operation with `E`'s cost model. Every group is assumed
    /// present and unsuppressed, so this is the most a run costs (sorts at their expected cost).
    package func costEstimate<E: MPCEngine>(on engine: E.Type, rows: Int? = nil) async throws -> OperationCost {
        let rows = rows ?? self.table.maxRows
        var estimator = CostEstimator<E>()
        let columns = self.table.columns.map { _ in CostEstimator<E>.Share(count: rows) }
        _ = try await MPCQueryProgram<CostEstimator<E>>(plan: self, rows: rows).run(&estimator, columns: columns)
        try await estimator.finish()
        return estimator.cost
    }
}
