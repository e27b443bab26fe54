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
            guard let cts, errors == 0 else {
                print("\(file): invalid (\(errors) error(s))")
                throw ExitCode(1)
            }
            // The query is part of the CTS: the same decision the computing parties make when the task is submitted.
            do { _ = try await QueryAdmission.admit(cts) } catch {
                print("error: /query: \(error)")
                print("\(file): invalid (the query is rejected)")
                throw ExitCode(1)
            }
            print("\(file): valid CTS '\(cts.id)', task id \(document.taskID)")
        }
    }
}
