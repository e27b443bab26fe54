import ConsortSpec
import Foundation

/// CTS documents for tests, built from the household-income example with deadlines relative to now.
package enum TestSpecifications {
    /// The members of the household-income example and the roles they need.
    package static let householdMembers: [(String, [String])] = [
        ("nso-north", ["input"]), ("nso-south", ["input"]), ("eurostat", ["output"]),
        ("cp-a", ["compute"]), ("cp-b", ["compute"]), ("cp-c", ["compute"]), ("auditor", ["auditor"]),
        // A member of the consortium that is no party of the household task.
        ("nso-east", ["input"]),
    ]

    /// The household-income CTS as JSON text, with deadlines `deadlines` seconds after `now` (1, 2 and 30 days).
    package static func householdIncome(
        now: Date = Date(), query: String? = nil, minGroupSize: Int = 5,
        deadlines: (inputs: TimeInterval, compute: TimeInterval, outputs: TimeInterval) = ExampleSpecification
            .usualDeadlines,
        retention: ComputationTaskSpecification.Retention.InputRetention = .purgeAfterCompute,
        security: EngineDescriptor.Security = .passive
    ) -> String {
        ExampleSpecification.householdIncome(
            now: now, query: query, minGroupSize: minGroupSize, deadlines: deadlines, retention: retention,
            security: security)
    }

    /// The household-income CTS with its output deadline moved to 60 days: a second version of a proposal.
    package static func householdIncomeRevised() -> String {
        Self.householdIncome(
            deadlines: (
                ExampleSpecification.usualDeadlines.inputs, ExampleSpecification.usualDeadlines.compute, 60 * 86_400
            ))
    }
}
