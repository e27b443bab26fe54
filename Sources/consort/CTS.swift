import ArgumentParser
import ConsortSpec
import Foundation

struct CTS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cts",
        abstract: "Computation Task Specifications: validate, review, sign and verify.",
        discussion: """
            A CTS says everything about one computation and is in force only when every input, output and computing
            party has signed it. The usual round:
              consort cts example --out task.json
              consort cts validate task.json
              consort cts show task.json
              consort cts sign task.json --identity north/alice --out task.signed.json
              consort cts sign task.signed.json --identity south/bob \\
                --out task.signed.json
              consort cts verify task.signed.json --root op/operator.pem \\
                --require-complete
            """,
        subcommands: [Example.self, Validate.self, Show.self, Sign.self, Verify.self]
    )

    struct Example: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the household-income example CTS with deadlines 1, 2 and 30 days from now.",
            discussion: """
                The task of Specs/examples/household-income.json (members nso-north, nso-south, eurostat, cp-a,
                cp-b, cp-c, auditor), with its inputs, compute and output deadlines ahead of now: a starting
                point to edit, or the task of the README's walkthrough.

                Example:
                  consort cts example --out task.json
                """
        )

        @Option(help: "Where to write the CTS.") var out: String

        func run() async throws {
            try Files.refuseToOverwrite(out)
            let text = ExampleSpecification.householdIncome(
                query: ExampleSpecification.householdQuery, id: "hh-income-example",
                title: "Household income by region")
            try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: out))
            print(
                "wrote \(out): CTS 'hh-income-example', task id \(MultiSignatureJWS.taskID(of: Array((text + "\n").utf8)))"
            )
        }
    }
}
