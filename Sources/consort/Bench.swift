import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print figures (build with -c release for meaningful numbers).",
        subcommands: [AuditBench.self, MPCBench.self, MPCParty.self]
    )
}
