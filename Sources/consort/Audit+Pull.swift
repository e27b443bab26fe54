import ArgumentParser
import ConsortClient
import Foundation

extension Audit {
    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Fetch every node's audit log (auditors only) with the node's certificate chain, for 'audit verify --dir'.",
            discussion: """
                Writes DIR/<member>.jsonl, DIR/<member>.checkpoints.jsonl and DIR/<member>.pem (the chain the node
                presented, verified in the handshake).

                Example:
                  consort audit pull --out logs --identity auditor/alice \\
                    --directory directory.json --root op/operator.pem
                  consort audit verify --dir logs --root op/operator.pem
                """
        )

        @Option(help: "The directory to write the logs to.") var out: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            if try await client.client().pullAudit(into: out, report: { print($0) }) > 0 { throw ExitCode(1) }
        }
    }
}
