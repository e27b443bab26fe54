import ArgumentParser
import ConsortPKI
import Foundation
import X509

extension PKI {
    struct Limbo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the x509-limbo path-validation suite through Consort's verifier.",
            discussion: """
                Writes results in x509-limbo's result format and prints how many agree with the expected results.

                Example:
                  consort pki limbo Tests/Fixtures/x509-limbo/limbo.json \\
                    --results limbo-results.json
                """
        )

        @Argument(help: "The limbo.json suite.")
        var suite: String

        @Option(help: "Where to write the results (JSON).")
        var results: String

        func run() async throws {
            let loaded = try LimboSuite.load(suite)
            var outcomes: [LimboSuite.Result] = []
            var agree = 0
            var disagree = 0
            var skipped = 0
            for testCase in loaded.testcases {
                let result = await LimboSuite.run(testCase)
                outcomes.append(result)
                if result.actual_result == "SKIPPED" {
                    skipped += 1
                } else if result.actual_result == testCase.expected_result {
                    agree += 1
                } else {
                    disagree += 1
                }
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try PEMFiles.write(
                String(decoding: try encoder.encode(LimboResults(results: outcomes)), as: UTF8.self) + "\n", to: results
            )
            print("\(agree) agree, \(disagree) disagree, \(skipped) skipped")
        }
    }

    /// x509-limbo's result file: `{"version": 1, "harness": ..., "results": [...]}`.
    struct LimboResults: Encodable {
        var version = 1
        var harness = "consort"
        var results: [LimboSuite.Result]
    }
}
