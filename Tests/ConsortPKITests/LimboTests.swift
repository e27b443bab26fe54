import ConsortPKI
import ConsortTesting
import Foundation
import Testing

@Suite("x509-limbo")
struct LimboTests {
    struct Rule: Decodable {
        struct Case: Decodable {
            var id: String
            var outcome: String
        }
        var rule: String
        var source: String
        var reason: String
        var cases: [Case]
    }

    struct Exceptions: Decodable {
        var rules: [Rule]
    }

    @Test("agreement with x509-limbo, every deviation reviewed")
    func limbo() async throws {
        let suite = try LimboSuite.load(try TestData.file("x509-limbo/limbo.json").path)
        let exceptionsURL = TestData.repositoryRoot.appendingPathComponent("Policies/x509-limbo-exceptions.json")
        let exceptions = try JSONDecoder().decode(Exceptions.self, from: Data(contentsOf: exceptionsURL))
        // Every deviation is decided by a rule with a source and a reason; a case is listed under one rule only.
        let listed = exceptions.rules.flatMap { rule in rule.cases.map { ($0.id, ($0.outcome, rule.rule)) } }
        let reviewed = Dictionary(listed, uniquingKeysWith: { first, _ in first })
        #expect(reviewed.count == listed.count, "a case is listed under more than one rule")
        #expect(exceptions.rules.allSatisfy { !$0.rule.isEmpty && !$0.source.isEmpty && !$0.reason.isEmpty })

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
            #expect(reviewed[id]?.0 == outcome, "deviation without a rule: \(id): \(outcome)")
        }
        for id in reviewed.keys {
            #expect(deviations[id] != nil, "\(id) is listed under '\(reviewed[id]!.1)' but now agrees: remove it")
        }
        #expect(suite.testcases.count >= 200)
        #expect(Double(agree) >= 0.95 * Double(applicable), "only \(agree) of \(applicable) applicable cases agree")
    }
}
