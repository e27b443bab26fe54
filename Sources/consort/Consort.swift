import ArgumentParser
import ConsortNode

struct Consort: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consort",
        abstract: "Joint statistics over confidential data, computed under secure multi-party computation.",
        discussion: """
            Consort lets statistics offices and other data holders compute agreed statistics over data none of them
            may hand over. Start with 'consort demo' to see a whole consortium at work on this machine.
            """,
        version: BuildMeasurement.version,
        subcommands: [
            Demo.self, PKI.self, Directory.self, Node.self, TaskCommand.self, InputCommand.self, OutputCommand.self,
            ProposalCommand.self, CTS.self, Query.self, DataCommand.self, Audit.self, Bench.self,
        ]
    )
}
