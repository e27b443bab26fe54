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
            print(await SignerReview.text(cts, taskID: document.taskID, diagnostics: diagnostics))
        }
    }
}
