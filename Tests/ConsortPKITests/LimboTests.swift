import ConsortPKI
import ConsortTesting
import Foundation
import Testing

@Suite("x509-limbo")
struct LimboTests {
    struct Exception: Decodable {
        var id: String
        var outcome: String
        var reason: String
    }

    struct Exceptions: Decodable {
        var cases: [Exception]
    }

    @Test("agreement with x509-limbo, every deviation reviewed")
    func limbo() async throws {
        let suite = try LimboSuite.load(try TestData.file("x509-limbo/limbo.json").path)
        let exceptionsURL = TestData.repositoryRoot.appendingPathComponent("Policies/x509-limbo-exceptions.json")
        let exceptions = try JSONDecoder().decode(Exceptions.self, from: Data(contentsOf: exceptionsURL))
        let reviewed = Dictionary(uniqueKeysWithValues: exceptions.cases.map { ($0.id, $0) })
        #expect(exceptions.cases.allSatisfy { !$0.reason.isEmpty })

        var agree = 0
        var applicable = 0
        var deviations: [String: String] = [:]
        for testCase in suite.testcases {
            let result = await LimboSuite.run(testCase)
            if result.actual_result != "SKIPPED" { applicable += 1 }
            if result.actual_result == testCase.expected_result {
                agree += 1
            } else {
                deviations[testCase.id] = result.actual_result
            }
        }
        // Every deviation is reviewed with the outcome we actually produce, and every reviewed case still deviates.
        for (id, outcome) in deviations {
            #expect(reviewed[id]?.outcome == outcome, "unreviewed deviation \(id): \(outcome)")
        }
        for id in reviewed.keys {
            #expect(deviations[id] != nil, "\(id) is listed as an exception but now agrees: remove it from the list")
        }
        #expect(suite.testcases.count >= 150)
        #expect(Double(agree) >= 0.95 * Double(applicable), "only \(agree) of \(applicable) applicable cases agree")
    }
}
