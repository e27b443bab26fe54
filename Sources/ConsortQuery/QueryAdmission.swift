import ConsortMPC
import ConsortSpec

/// The one decision whether a CTS's query can run, and what it costs: `QueryChecker`'s names, types and exact range
/// analysis, then the query's program run on the engine's `CostEstimator` at `maxRows`, which makes every check the
/// MPC run itself makes (division and square-root widths, limits of the engine's primitives) without any data.
///
/// `query check`, `cts validate`, `cts verify`, the client before it submits and the node when a task is submitted all
/// call this, so none of them accepts a query the computation would refuse.
package enum QueryAdmission {
    package struct Admitted: Sendable {
        package var plan: QueryPlan
        /// The most one run costs on the CTS's engine (every group present).
        package var cost: OperationCost
    }

    package static func admit(_ cts: ComputationTaskSpecification) async throws -> Admitted {
        let engine = try EngineRegistry.shared.engine(for: cts.engine)
        let plan = try QueryChecker.check(cts, domain: engine.traits.domain)
        do {
            return Admitted(plan: plan, cost: try await plan.costEstimate(on: engine))
        } catch let error as QueryError {
            throw error
        } catch {
            throw QueryError(
                .unsupported,
                "the query cannot run on \(cts.engine.identity) at maxRows (\(plan.table.maxRows)): \(error)")
        }
    }
}
