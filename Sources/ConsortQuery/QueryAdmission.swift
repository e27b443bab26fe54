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
        /// The same on this build's other engines of the same protocol and value domain (e.g. the other security),
        /// so signers see what the choice costs.
        package var alternatives: [(engine: EngineTraits, cost: OperationCost)] = []
        var engine: EngineTraits

        /// The estimates as lines: this engine's, then the alternatives. The models count communication; an actively
        /// secure engine's proofs also cost computation they do not count, which the line says.
        package func costLines(parties: Int) -> [String] {
            func line(_ traits: EngineTraits, _ cost: OperationCost) -> String {
                "\(traits.identity): \(cost.rounds) rounds, "
                    + ByteCountFormatter.string(fromByteCount: Int64(cost.bytes / max(1, parties)), countStyle: .binary)
                    + " sent per computing party"
                    + (traits.security == .active ? ", plus the proofs' computation (not in the model)" : "")
            }
            return [line(self.engine, self.cost)] + self.alternatives.map { line($0.engine, $0.cost) + " (not chosen)" }
        }
    }

    package static func admit(_ cts: ComputationTaskSpecification) async throws -> Admitted {
        let engine = try EngineRegistry.shared.engine(for: cts.engine)
        let plan = try QueryChecker.check(cts, domain: engine.traits.domain)
        do {
            var admitted = Admitted(
                plan: plan, cost: try await plan.costEstimate(on: engine), engine: engine.traits)
            for other in EngineCatalog.all where ObjectIdentifier(other) != ObjectIdentifier(engine) {
                let traits = other.traits
                guard traits.name == engine.traits.name, traits.domain == engine.traits.domain,
                    traits.parties.contains(cts.engine.parties),
                    let cost = try? await plan.costEstimate(on: other)
                else { continue }
                admitted.alternatives.append((traits, cost))
            }
            return admitted
        } catch let error as QueryError {
            throw error
        } catch {
            throw QueryError(
                .unsupported,
                "the query cannot run on \(cts.engine.identity) at maxRows (\(plan.table.maxRows)): \(error)")
        }
    }
}
