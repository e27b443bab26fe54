import ArgumentParser

struct CTS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cts",
        abstract: "Computation Task Specifications: validate, review, sign and verify.",
        discussion: """
            A CTS says everything about one computation and is in force only when every input, output and computing
            party has signed it. The usual round:
              consort cts validate task.json
              consort cts show task.json
              consort cts sign task.json --identity north/alice --out task.signed.json
              consort cts sign task.signed.json --identity south/bob --out task.signed.json
              consort cts verify task.signed.json --root op/operator.pem --require-complete
            """,
        subcommands: [Validate.self, Show.self, Sign.self, Verify.self]
    )
}
