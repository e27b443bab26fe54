import ConsortSpec
import Foundation

/// CTS documents for tests, built from the household-income example with deadlines relative to now.
package enum TestSpecifications {
    /// The members of the household-income example and the roles they need.
    package static let householdMembers: [(String, [String])] = [
        ("nso-north", ["input"]), ("nso-south", ["input"]), ("eurostat", ["output"]),
        ("cp-a", ["compute"]), ("cp-b", ["compute"]), ("cp-c", ["compute"]), ("auditor", ["auditor"]),
    ]

    /// The household-income CTS as JSON text, with deadlines 1, 2 and 30 days after `now`.
    package static func householdIncome(now: Date = Date(), query: String? = nil, minGroupSize: Int = 5) -> String {
        ExampleSpecification.householdIncome(now: now, query: query, minGroupSize: minGroupSize)
    }
}
