import ArgumentParser
import ConsortMPC
import ConsortQuery
import ConsortSpec
import Foundation

extension CTS {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Summarise a CTS for a person about to sign it.",
            discussion: """
                Parties and roles, tables and columns with types and ranges, quality rules, the query, outputs and
                disclosure rule, engine, deadlines and retention.

                Example:
                  consort cts show Specs/examples/household-income.json
                """
        )

        @Argument(help: "The CTS file (plain or signed).")
        var file: String

        func run() async throws {
            let document = try SpecificationDocument.read(file)
            let (cts, diagnostics) = try document.specification(engines: EngineRegistry.shared)
            guard let cts else {
                diagnostics.forEach { print($0) }
                throw ValidationError("'\(file)' is not a readable CTS")
            }
            await CTS.Show.review(cts, taskID: document.taskID, diagnostics: diagnostics)
        }

        /// The summary, what the query reveals and costs, and the problems: what a signer reviews.
        static func review(_ cts: ComputationTaskSpecification, taskID: String?, diagnostics: [Diagnostic]) async {
            print(CTSSummary.render(cts, taskID: taskID, engines: EngineRegistry.shared))
            // What the query computes and reveals, from the consort-sql/1 checker.
            do {
                let admitted = try await QueryAdmission.admit(cts)
                let (plan, cost) = (admitted.plan, admitted.cost)
                print("\nQUERY CHECK")
                print("  outputs: " + plan.outputs.map { "\($0.name) (\($0.type))" }.joined(separator: ", "))
                print("  besides the outputs, the computation reveals:")
                for note in plan.leakage { print("    - \(note)") }
                print(
                    "  MPC cost at \(plan.table.maxRows) rows (\(cts.engine.identity)'s cost model): \(cost.rounds) rounds, "
                        + "\(ByteCountFormatter.string(fromByteCount: Int64(cost.bytes / max(1, cts.engine.parties)), countStyle: .binary)) sent per computing party"
                )
            } catch {
                print("\nQUERY CHECK\n  the query is rejected: \(error)")
            }
            let problems = diagnostics.filter { $0.severity == .error }
            if !problems.isEmpty {
                print("\nPROBLEMS (do not sign until they are fixed)")
                problems.forEach { print("  \($0)") }
            }
        }
    }
}
