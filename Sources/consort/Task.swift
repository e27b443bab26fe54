import ArgumentParser
import ConsortClient
import ConsortPKI
import ConsortSpec
import Foundation

/// `--identity DIR/NAME --directory FILE --root FILE`: who the client is and whom it trusts. Each can also come from
/// the environment (`CONSORT_IDENTITY`, `CONSORT_DIRECTORY`, `CONSORT_ROOT`) or a profile file (`--profile FILE` or
/// `CONSORT_PROFILE`); a flag wins over the environment, which wins over the profile (`ClientProfile`).
struct ClientOptions: ParsableArguments {
    @OptionGroup var identity: IdentityOptions
    @Option(help: "The operator-signed member directory (or CONSORT_DIRECTORY, or the profile's).") var directory:
        String?
    @Option(help: "The operator root certificate (or CONSORT_ROOT, or the profile's).") var root: String?
    @Option(
        help: ArgumentHelp(
            "A client profile (or CONSORT_PROFILE): JSON {\"identity\": \"DIR/NAME\", \"directory\": FILE, \"root\": FILE}, paths relative to it.",
            valueName: "file")) var profile: String?

    /// Identity, directory and root after applying flags, environment and profile, in that order.
    func resolved(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (
        identity: SigningIdentity, directory: String, root: String
    ) {
        let (signer, directory, root, _) = try self.resolvedWithPath(environment: environment)
        return (signer, directory, root)
    }

    /// Where the identity lives, as `DIR/NAME` (the certificate's path without `.pem` for --key/--cert): per-identity
    /// state such as upload journals goes next to it.
    func identityPath() throws -> String {
        try self.resolvedWithPath().identityPath
    }

    private func resolvedWithPath(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (
        identity: SigningIdentity, directory: String, root: String, identityPath: String
    ) {
        let explicitKeys = self.identity.key != nil || self.identity.cert != nil
        let settings: (identity: String?, directory: String, root: String)
        do {
            settings = try ClientProfile.resolve(
                explicit: ClientProfile(identity: self.identity.identity, directory: self.directory, root: self.root),
                profile: self.profile, needsIdentity: !explicitKeys, environment: environment)
        } catch let error as ClientError {
            throw ValidationError(error.message)
        }
        let signer = try settings.identity.map { try SigningIdentity.load(identity: $0) } ?? self.identity.load()
        let path =
            settings.identity
            ?? (self.identity.cert.map { $0.hasSuffix(".pem") ? String($0.dropLast(4)) : $0 } ?? "consort")
        return (signer, settings.directory, settings.root, path)
    }

    /// The member client these options describe.
    func client() throws -> MemberClient {
        let (signer, directory, root) = try self.resolved()
        do { return try MemberClient.load(identity: signer, directory: directory, root: root) } catch let error
            as ClientError
        {
            throw ValidationError(error.message)
        }
    }
}

/// Prints every node's answer, one line each; fails (exit 1) if any node did not accept.
/// One line per node: `  cp-a: STATE` from its answer, or why it gave none (`refused (409): …`, unreachable).
/// Exits 1 unless every node answered.
func report<Value>(_ answers: [NodeAnswer<Value>], state: (Value, NodeAnswer<Value>) -> String) throws {
    for answer in answers {
        print("  \(answer.member): \(answer.value.map { state($0, answer) } ?? answer.refusal)")
    }
    if answers.contains(where: { !$0.succeeded }) { throw ExitCode(1) }
}

/// A task id given as `--task ID` (like upload and fetch) or, as before, as the first argument.
struct TaskSelection: ParsableArguments {
    @Option(help: ArgumentHelp("The task id (SHA-256 of the signed CTS).", valueName: "id")) var task: String?
    @Argument(help: ArgumentHelp("The task id, as an argument (same as --task).", visibility: .hidden))
    var positional: String?

    var id: String { self.task ?? self.positional ?? "" }

    func validate() throws {
        switch (self.task, self.positional) {
        case (nil, nil): throw ValidationError("which task? give --task ID")
        case (let option?, let argument?) where option != argument:
            throw ValidationError("two different tasks given: --task \(option) and \(argument)")
        default: break
        }
    }
}

struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Submit tasks to the computing parties and follow them.",
        subcommands: [Submit.self, Status.self, List.self, Halt.self]
    )

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit a signed CTS to each of its computing parties; prints the task id.",
            discussion: """
                Example:
                  consort task submit household.signed.json --identity north/alice \\
                    --directory directory.json --root op/operator.pem
                """
        )

        @Argument(help: "The signed CTS (JWS with every member's signature).") var file: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            let client = try self.client.client()
            let (task, answers) = try await client.submit(bytes)
            for answer in answers {
                let line =
                    answer.value.map { "\($0.state.rawValue)\(answer.status == 200 ? " (submitted before)" : "")" }
                    ?? answer.refusal
                print("  \(answer.member): \(line)")
            }
            let refused = answers.filter { !$0.succeeded }.map(\.member.rawValue)
            guard refused.isEmpty else {
                print(
                    "task \(task) was not accepted by \(refused.joined(separator: ", "))"
                        + (refused.count == answers.count ? ": no computing party holds it" : ""))
                throw ExitCode(1)
            }
            print("task \(task) accepted by every computing party")
        }
    }

    struct Halt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Halt a task everywhere with a signed statement (members listed in mayHalt only).",
            discussion: """
                The computing parties stop the task, delete its data and never release its output.

                Example:
                  consort task halt --task 3f2a… --reason "wrong survey year" \\
                    --identity north/signer --directory directory.json --root op/operator.pem
                """
        )

        @OptionGroup var task: TaskSelection
        @Option(help: "Why (recorded in every node's audit log).") var reason: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try report(try await client.client().halt(task: task.id, reason: reason)) { halted, _ in
                halted.state.rawValue
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The tasks your member takes part in, as each node knows them (a page at a time).",
            discussion: """
                Each node lists up to --limit tasks in the order it received them; when it has more, the line
                "more: --after TASK" says where the next page starts.

                Example:
                  consort task list --identity north/alice --directory directory.json \\
                    --root op/operator.pem
                """
        )

        @OptionGroup var client: ClientOptions
        @Option(help: "At most this many tasks per node (1 to 1000).") var limit: Int = 100
        @Option(help: ArgumentHelp("Start after this task (the 'more' line of the page before).", valueName: "task"))
        var after: String?

        func validate() throws {
            guard (1...1000).contains(self.limit) else {
                throw ValidationError("--limit must be from 1 to 1000, not \(self.limit)")
            }
        }

        func run() async throws {
            let answers = try await client.client().list(after: self.after, limit: self.limit)
            for answer in answers {
                guard let page = answer.value else {
                    print("\(answer.member): \(answer.refusal)")
                    continue
                }
                print("\(answer.member): \(page.tasks.count) task\(page.tasks.count == 1 ? "" : "s")")
                for task in page.tasks {
                    print("  \(task.task)  \(task.state.rawValue)  \(task.id)  \(task.title)")
                }
                if let next = page.next { print("  more: --after \(next)") }
            }
            guard answers.contains(where: { $0.value != nil }) else { throw ExitCode.failure }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A task's state at each node that runs one.",
            discussion: """
                Example:
                  consort task status --task 3f2a… --identity north/alice \\
                    --directory directory.json --root op/operator.pem
                """
        )

        @OptionGroup var task: TaskSelection
        @Option(
            help: ArgumentHelp("Ask only this member's node (repeatable); by default every node.", valueName: "member"))
        var node: [String] = []
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let answers: [NodeAnswer<TaskStatusResponse>]
            do { answers = try await client.client().status(task: task.id, only: Set(node)) } catch let error
                as ClientError
            {
                throw ValidationError(error.message)
            }
            try report(answers) { status, _ in status.state.rawValue }
        }
    }
}
