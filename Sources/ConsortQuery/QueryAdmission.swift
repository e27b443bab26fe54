import ConsortMPC
import ConsortSpec
import Foundation

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
        var engine: any MPCEngine.Type

        /// The estimates as lines for a person choosing the engine: this engine's, then the same query's on this
        /// build's other engines of the same protocol and value domain (e.g. the other security), estimated here
        /// rather than on every admission. The models count communication; an actively secure engine's proofs also
        /// cost computation they do not count, which the line says.
        package func costLines(parties: Int) async -> [String] {
            func line(_ traits: EngineTraits, _ cost: OperationCost) -> String {
                "\(traits.identity): \(cost.rounds) rounds, "
                    + ByteCountFormatter.string(fromByteCount: Int64(cost.bytes / max(1, parties)), countStyle: .binary)
                    + " sent per computing party"
                    + (traits.security == .active ? ", plus the proofs' computation (not in the model)" : "")
            }
            let chosen = self.engine.traits
            var lines = [line(chosen, self.cost)]
            for other in EngineCatalog.all where ObjectIdentifier(other) != ObjectIdentifier(self.engine) {
                let traits = other.traits
                guard traits.name == chosen.name, traits.domain == chosen.domain, traits.parties.contains(parties),
                    let cost = try? await self.plan.costEstimate(on: other)
                else { continue }
                lines.append(line(traits, cost) + " (not chosen)")
            }
            return lines
        }
    }

    package static func admit(_ cts: ComputationTaskSpecification) async throws -> Admitted {
        let engine = try EngineRegistry.shared.engine(for: cts.engine)
        let plan = try QueryChecker.check(cts, domain: engine.traits.domain)
        do {
            return Admitted(plan: plan, cost: try await plan.costEstimate(on: engine), engine: engine)
        } catch let error as QueryError {
            throw error
        } catch {
            throw QueryError(
                .unsupported,
                "the query cannot run on \(cts.engine.identity) at maxRows (\(plan.table.maxRows)): \(error)")
        }
    }
}
