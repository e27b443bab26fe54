import ArgumentParser
import Foundation

/// Where `bench mpc` and `demo` run their three computing parties: each party's address (it listens there), and a
/// command prefix it is started under — another host's network namespace (`Deploy/netns/lab`), a remote shell. By
/// default all three are processes of this machine on 127.0.0.1.
struct PartyPlacement: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The three computing parties' addresses, comma-separated; each listens on its own (default 127.0.0.1).",
            valueName: "a,b,c"))
    var hosts: String?

    @Option(
        help: ArgumentHelp(
            "Start computing party I under this command, {party} replaced by I (0, 1 or 2), e.g. 'ip netns exec lab-{party}' (words split on spaces).",
            valueName: "command"))
    var launch: String?

    func validate() throws {
        if let hosts {
            let list = hosts.split(separator: ",", omittingEmptySubsequences: false)
            guard list.count == 3, list.allSatisfy({ !$0.isEmpty && !$0.contains(" ") }) else {
                throw ValidationError("--hosts must list three addresses, comma-separated (got '\(hosts)')")
            }
        }
        if let launch, launch.split(separator: " ").isEmpty {
            throw ValidationError("--launch must name a command")
        }
    }

    var isLocal: Bool { self.hosts == nil && self.launch == nil }

    /// Party `party`'s address.
    func host(_ party: Int) -> String {
        self.hosts.map { String($0.split(separator: ",")[party]) } ?? "127.0.0.1"
    }

    /// A process running this executable with `arguments` as party `party`, under `--launch` if given.
    func process(_ party: Int, arguments: [String]) -> Process {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let process = Process()
        guard let launch else {
            process.executableURL = executable
            process.arguments = arguments
            return process
        }
        let words = launch.replacingOccurrences(of: "{party}", with: "\(party)").split(separator: " ").map(String.init)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = words + [executable.path] + arguments
        return process
    }
}
