import Testing

@testable import ConsortAudit

/// The auditor's reading of the computing parties' reports of a failed MPC check: a party is named alone only where
/// the reports force it, and never an honest one, whatever the cheater logs.
@Suite("MPC failure reports")
struct MPCFailureReportsTests {
    static let members = [0: "cp-a", 1: "cp-b", 2: "cp-c"]

    static func finding(_ reports: [Int: [Int]]) -> String? {
        MPCFailureReports(
            reports: Dictionary(
                uniqueKeysWithValues: reports.map {
                    (
                        Self.members[$0.key]!,
                        .init(party: $0.key, suspects: $0.value, computing: ["cp-a", "cp-b", "cp-c"])
                    )
                })
        ).finding(task: "00112233445566778899aabbccddeeff")
    }

    @Test("both honest parties name the same one party: it is blamed")
    func blamed() {
        #expect(Self.finding([0: [2], 1: [2]])?.contains("BLAMED: cp-c (party 2) deviated in the MPC") == true)
        // The cheater's own report, whatever it says, cannot shift the blame.
        #expect(Self.finding([0: [2], 1: [2], 2: [0]])?.contains("BLAMED: cp-c (party 2)") == true)
    }

    @Test("each honest party names the cheater and the other: every party is a candidate")
    func dispute() throws {
        let finding = try #require(Self.finding([0: [1, 2], 1: [0, 2]]))
        #expect(
            finding.contains(
                "DISPUTE: a computing party deviated in the MPC, one of cp-a (party 0), cp-b (party 1), cp-c (party 2)")
        )
        #expect(!finding.contains("BLAMED"))
    }

    @Test("no report names anyone (a peer left): no finding")
    func silent() {
        #expect(Self.finding([0: [], 1: []]) == nil)
        #expect(Self.finding([:]) == nil)
    }

    @Test("never an honest party alone: every cheater, every honest report it allows, every report the cheater can log")
    func neverHonest() {
        let sets: [[Int]] = [[], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2]]
        for cheater in 0..<3 {
            let honest = (0..<3).filter { $0 != cheater }
            // An honest party's set is empty (it saw a peer leave) or holds the cheater and not itself.
            let allowed = { (party: Int) in sets.filter { $0.isEmpty || ($0.contains(cheater) && !$0.contains(party)) }
            }
            for first in allowed(honest[0]) {
                for second in allowed(honest[1]) {
                    for lie in sets + [nil] {
                        var reports = [honest[0]: first, honest[1]: second]
                        if let lie { reports[cheater] = lie }
                        guard let finding = Self.finding(reports) else { continue }
                        for party in honest {
                            #expect(
                                !finding.contains("BLAMED: \(Self.members[party]!)"),
                                "cheater \(cheater), reports \(reports): \(finding)")
                        }
                    }
                }
            }
        }
    }
}
