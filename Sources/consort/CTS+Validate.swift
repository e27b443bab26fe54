import ArgumentParser
import ConsortQuery
import ConsortSpec
import Foundation

extension CTS {
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a CTS (plain or signed) and list every problem with its location.",
            discussion: """
                Exit status 0 if the CTS is valid (warnings allowed), 1 otherwise.

                Example:
                  consort cts validate Specs/examples/household-income.json
                """
        )

        @Argument(help: "The CTS file (plain JSON or a signed JWS).")
        var file: String

        @Option(help: "Validate as of this ISO 8601 time instead of now (deadlines must be after it).")
        var at: String?

        func run() async throws {
            let document = try SpecificationDocument.read(file)
            let now = try at.map(Files.parseTime) ?? Date()
            let (cts, diagnostics) = try document.specification(now: now, engines: EngineRegistry.shared)
            for diagnostic in diagnostics { print(diagnostic) }
            let errors = diagnostics.filter { $0.severity == .error }.count
            if cts == nil || errors > 0 {
                print("\(file): invalid (\(errors) error(s))")
                throw ExitCode(1)
            }
            print("\(file): valid CTS '\(cts!.id)', task id \(document.taskID)")
        }
    }
}
