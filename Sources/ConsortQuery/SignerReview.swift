import ConsortMPC
import ConsortSpec
import Foundation

/// What a person reviews before signing a CTS, as text: the summary, what the query computes and reveals besides its
/// outputs and what it costs (from the checker and the engine's cost model), and the problems. `consort cts show`,
/// `consort proposal show` and the node's web UI show the same.
package enum SignerReview {
    package static func text(
        _ cts: ComputationTaskSpecification, taskID: String?, diagnostics: [Diagnostic]
    ) async -> String {
        var lines = [CTSSummary.render(cts, taskID: taskID, engines: EngineRegistry.shared)]
        do {
            let admitted = try await QueryAdmission.admit(cts)
            let plan = admitted.plan
            lines.append("\nQUERY CHECK")
            lines.append("  outputs: " + plan.outputs.map { "\($0.name) (\($0.type))" }.joined(separator: ", "))
            lines.append("  besides the outputs, the computation reveals:")
            lines += plan.leakage.map { "    - \($0)" }
            lines.append("  MPC cost at \(plan.table.maxRows) rows, from the engines' cost models:")
            lines += await admitted.costLines(parties: cts.engine.parties).map { "    " + $0 }
        } catch {
            lines.append("\nQUERY CHECK\n  the query is rejected: \(error)")
        }
        let problems = diagnostics.filter { $0.severity == .error }
        if !problems.isEmpty {
            lines.append("\nPROBLEMS (do not sign until they are fixed)")
            lines += problems.map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
