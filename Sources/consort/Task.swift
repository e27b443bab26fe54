import ArgumentParser
import ConsortNode
import ConsortPKI
import ConsortSpec
import ConsortTransport
import Foundation

/// `--identity DIR/NAME --directory FILE --root FILE`: who the client is and whom it trusts. Each can also come from
/// the environment (`CONSORT_IDENTITY`, `CONSORT_DIRECTORY`, `CONSORT_ROOT`) or a profile file (`--profile FILE` or
/// `CONSORT_PROFILE`); a flag wins over the environment, which wins over the profile.
struct ClientOptions: ParsableArguments {
    @OptionGroup var identity: IdentityOptions
    @Option(help: "The operator-signed member directory (or CONSORT_DIRECTORY, or the profile's).") var directory: String?
    @Option(help: "The operator root certificate (or CONSORT_ROOT, or the profile's).") var root: String?
    @Option(help: ArgumentHelp(
        "A client profile (or CONSORT_PROFILE): JSON {\"identity\": \"DIR/NAME\", \"directory\": FILE, \"root\": FILE}, paths relative to it.",
        valueName: "file")) var profile: String?

    /// The client profile file's settings.
    struct Profile: Decodable {
        var identity: String?
        var directory: String?
        var root: String?
    }

    /// Identity, directory and root after applying flags, environment and profile, in that order.
    func resolved(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (identity: SigningIdentity, directory: String, root: String) {
        var profile = Profile()
        if let path = self.profile ?? environment["CONSORT_PROFILE"] {
            do {
                profile = try JSONDecoder().decode(Profile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw ValidationError("cannot read the client profile \(path): \(error)")
            }
            let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
            func absolute(_ value: String?) -> String? { value.map { $0.hasPrefix("/") ? $0 : "\(base)/\($0)" } }
            profile = Profile(identity: absolute(profile.identity), directory: absolute(profile.directory), root: absolute(profile.root))
        }
        func pick(_ flag: String?, _ variable: String, _ fromProfile: String?, _ what: String) throws -> String {
            guard let value = flag ?? environment[variable] ?? fromProfile else {
                throw ValidationError("give \(what) (or set \(variable), or use a --profile that has it)")
            }
            return value
        }
        let signer: SigningIdentity
        if self.identity.identity != nil || self.identity.key != nil || self.identity.cert != nil {
            signer = try self.identity.load()
        } else {
            signer = try SigningIdentity.load(identity: try pick(nil, "CONSORT_IDENTITY", profile.identity, "--identity DIR/NAME"))
        }
        return (signer, try pick(self.directory, "CONSORT_DIRECTORY", profile.directory, "--directory FILE"),
                try pick(self.root, "CONSORT_ROOT", profile.root, "--root FILE"))
    }

    func load() throws -> (NodeClient, MemberDirectory) {
        let (signer, directory, root) = try self.resolved()
        guard let anchor = try PEMFiles.readCertificates(root).first else { throw ValidationError("\(root) holds no certificate") }
        let members = try MemberDirectory.verify(Array(try Data(contentsOf: URL(fileURLWithPath: directory))), root: anchor)
        return (NodeClient(authentication: TLSPeerAuthentication(identity: signer, verifier: ConsortVerifier(root: anchor))), members)
    }
}

extension ClientOptions {
    /// Sends one request to every node the directory lists and prints each answer; returns how many did not succeed.
    func askEveryNode(_ method: NodeClient.Method, _ path: String, body: [UInt8] = [],
                      using loaded: (NodeClient, MemberDirectory)? = nil, only: Set<String> = []) async throws -> Int {
        let (nodeClient, directory) = try loaded ?? self.load()
        let unknown = only.subtracting(directory.members.filter { $0.endpoint != nil }.map(\.id.rawValue))
        guard unknown.isEmpty else { throw ValidationError("the directory lists no node of \(unknown.sorted().joined(separator: ", "))") }
        var failures = 0
        for member in directory.members where only.isEmpty || only.contains(member.id.rawValue) {
            guard let endpoint = member.endpoint else { continue }
            do {
                let response = try await nodeClient.request(method, path, body: body, to: endpoint, node: member.id)
                print("  \(member.id): \(response.status) \(response.body)")
                if !(200..<300).contains(response.status) { failures += 1 }
            } catch {
                print("  \(member.id): \(error)")
                failures += 1
            }
        }
        return failures
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
                  consort task submit household.signed.json --identity north/alice --directory directory.json --root op/operator.pem
                """
        )

        @Argument(help: "The signed CTS (JWS with every member's signature).") var file: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
            let document = try SpecificationDocument(bytes: bytes)
            guard let cts = try document.specification().0 else { throw ValidationError("'\(file)' is not a readable CTS") }
            let (nodeClient, directory) = try client.load()
            var failures = 0
            for member in cts.parties.computing {
                guard let endpoint = directory.member(member)?.endpoint else {
                    print("  \(member): no node endpoint in the directory")
                    failures += 1
                    continue
                }
                do {
                    let response = try await nodeClient.request(.post, "/v1/tasks", body: bytes, to: endpoint, node: member)
                    print("  \(member): \(response.status) \(response.body)")
                    if !(200..<300).contains(response.status) { failures += 1 }
                } catch {
                    print("  \(member): \(error)")
                    failures += 1
                }
            }
            print("task \(document.taskID)")
            if failures > 0 { throw ExitCode(1) }
        }
    }

    struct Halt: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Halt a task everywhere with a signed statement (members listed in mayHalt only).",
            discussion: """
                The computing parties stop the task, delete its data and never release its output.

                Example:
                  consort task halt 3f2a… --reason "wrong survey year" --identity north/signer --directory directory.json --root op/operator.pem
                """
        )

        @Argument(help: "The task id.") var task: String
        @Option(help: "Why (recorded in every node's audit log).") var reason: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let (nodeClient, directory) = try client.load()
            let (signer, _, root) = try client.resolved()
            let anchor = try PEMFiles.readCertificates(root)[0]
            guard let member = try await ConsortVerifier(root: anchor).verify(chain: signer.chain, usage: .signer).memberID else {
                throw ValidationError("the identity is not a member's signer")
            }
            let statement = JSONWriter.write(.object(JSONObject([
                ("consort", .string("halt/1")), ("task", .string(task)), ("reason", .string(reason)),
                ("at", .string(DocumentReader.formatTimestamp(Date()))),
            ])))
            var jws = MultiSignatureJWS(payload: statement)
            try jws.sign(as: signer, member: member)
            if try await client.askEveryNode(.post, "/v1/tasks/\(task)/halt", body: jws.serialized(), using: (nodeClient, directory)) > 0 {
                throw ExitCode(1)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The tasks your member takes part in, as each node knows them.",
            discussion: """
                Example:
                  consort task list --identity north/alice --directory directory.json --root op/operator.pem
                """
        )

        @OptionGroup var client: ClientOptions

        func run() async throws {
            _ = try await client.askEveryNode(.get, "/v1/tasks")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A task's state at each node that runs one.",
            discussion: """
                Example:
                  consort task status 3f2a… --identity north/alice --directory directory.json --root op/operator.pem
                """
        )

        @Argument(help: "The task id (SHA-256 of the CTS).") var task: String
        @Option(help: ArgumentHelp("Ask only this member's node (repeatable); by default every node.", valueName: "member")) var node: [String] = []
        @OptionGroup var client: ClientOptions

        func run() async throws {
            if try await client.askEveryNode(.get, "/v1/tasks/\(task)", only: Set(node)) > 0 { throw ExitCode(1) }
        }
    }
}
