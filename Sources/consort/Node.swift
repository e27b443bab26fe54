import ArgumentParser
import ConsortAudit
import ConsortMPC
import ConsortNode
import ConsortPKI
import ConsortTransport
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

struct Node: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A member's service node: configure it and run it.",
        subcommands: [Init.self, Check.self, Health.self, Run.self, User.self]
    )

    struct User: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The people who sign in to the node's web UI.", subcommands: [Add.self, Link.self])

        struct Link: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print a one-time sign-in link to the node's web UI for an existing user.",
                discussion: """
                    The link signs the user in once, within --minutes; the node keeps only its SHA-256.
                    Example:
                      consort node user link --config north/node.json --name alice
                    """
            )

            @Option(help: "The node configuration.") var config: String
            @Option(help: "The user's name.") var name: String
            @Option(help: "Minutes the link stays valid.") var minutes = 60

            func run() async throws {
                let configuration = try NodeConfiguration.read(config)
                guard let ui = configuration.ui else {
                    throw CommandFailure("\(config) has no web UI (\"ui\": \"127.0.0.1:PORT\")")
                }
                guard (1...7 * 24 * 60).contains(self.minutes) else {
                    throw ValidationError("--minutes is 1 to 10080 (a week)")
                }
                let token: String
                do {
                    token = try SignInLinks.issue(
                        user: self.name, data: configuration.resolvedData(relativeTo: config),
                        validFor: TimeInterval(self.minutes * 60))
                } catch let error as NodeError { throw CommandFailure(error.message) }
                print("http://\(ui)/sign-in/link/\(token)")
            }
        }

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add a web UI user (the first one is set up this way), with the member's internal roles.",
                discussion: """
                    The password (at least 12 characters) is read from --password-file, or from standard input;
                    it is stored as a bcrypt hash (cost 12) in the node's data directory, readable by its owner
                    only.

                    Example:
                      consort node user add --config north/node.json \\
                        --name alice --role signer --role uploader \\
                        --password-file alice.password
                    """
            )

            @Option(help: "The node configuration.") var config: String
            @Option(help: "The user's name (letters, digits, '.', '-', '_').") var name: String
            @Option(help: "An internal role (signer, uploader, analyst, admin, auditor); repeat for more.")
            var role: [String]
            @Option(help: ArgumentHelp("A file holding the password ('-' or none: standard input).", valueName: "file"))
            var passwordFile: String?
            @Flag(help: "Replace the user's roles and password if the user exists.") var replace = false

            func run() async throws {
                let configuration = try NodeConfiguration.read(config)
                let data = configuration.resolvedData(relativeTo: config)
                var roles = Set<InternalRole>()
                for text in self.role {
                    guard let role = InternalRole(rawValue: text) else {
                        throw ValidationError(
                            "unknown role '\(text)' (\(InternalRole.allCases.map(\.rawValue).joined(separator: ", ")))")
                    }
                    roles.insert(role)
                }
                let source = self.passwordFile ?? "-"
                let raw: Data
                if source == "-" {
                    raw = FileHandle.standardInput.readDataToEndOfFile()
                } else {
                    do { raw = try Data(contentsOf: URL(fileURLWithPath: source)) } catch {
                        throw ValidationError(
                            "cannot read the password file '\(source)': \(error.localizedDescription)")
                    }
                }
                let password = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .newlines)
                do {
                    try LocalUsers.add(
                        name: self.name, roles: roles, password: password, data: data, replace: self.replace)
                } catch let error as NodeError { throw CommandFailure(error.message) }
                print(
                    "web UI user \(self.name) (\(roles.map(\.rawValue).sorted().joined(separator: ", "))) saved in \(LocalUsers.path(data: data))"
                )
            }
        }
    }

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a node configuration after checking everything it points at.",
            discussion: """
                The identity must be this member's node certificate under the operator root, and the directory must
                verify under the root and list the member.

                Example:
                  consort node init --member cp-a --identity cp-a/node \\
                    --root op/operator.pem --directory directory.json \\
                    --listen 127.0.0.1:7443 --out cp-a/node.json
                """
        )

        @Option(help: "The member id.") var member: String
        @Option(help: "The node identity DIR/NAME (NAME.key + NAME.pem).") var identity: String
        @Option(help: "The operator root certificate.") var root: String
        @Option(help: "The signed member directory.") var directory: String
        @Option(help: "HOST:PORT for the mutual-TLS API.") var listen: String
        @Option(help: "Audit store: sqlite:PATH (default: DATA/audit.db) or postgres://user@host:port/db.") var store:
            String?
        @Option(help: "Data directory (default: 'data' next to the configuration).") var data: String?
        @Option(help: "A CRL file (PEM) to enforce: the operator's and each member's (repeatable).") var crl: [String] =
            []
        @Option(help: "Where to write the configuration.") var out: String
        @Flag(help: "Replace an existing configuration file at --out.") var force = false

        func run() async throws {
            if !force { try Files.refuseToOverwrite(out, hint: "or give --force to replace it") }
            let cwd = FileManager.default.currentDirectoryPath
            func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : "\(cwd)/\(path)" }
            let outDirectory = URL(fileURLWithPath: absolute(out)).deletingLastPathComponent().path
            let dataDirectory = data.map(absolute) ?? "\(outDirectory)/data"
            var configuration = NodeConfiguration(
                member: member, identity: absolute(identity), root: absolute(root), directory: absolute(directory),
                listen: listen,
                store: store.map {
                    $0.hasPrefix("sqlite:") && !$0.hasPrefix("sqlite:/")
                        ? "sqlite:" + absolute(String($0.dropFirst(7))) : $0
                }
                    ?? "sqlite:\(dataDirectory)/audit.db",
                data: dataDirectory
            )
            if !crl.isEmpty { configuration.crls = crl.map(absolute) }
            _ = try await configuration.load(relativeTo: outDirectory)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(configuration).write(to: URL(fileURLWithPath: out))
            // The store address may carry the database password: it is in the file (mode 0600), never on the screen.
            let store = (try? PostgresAddress(configuration.store).redacted) ?? configuration.store
            try Files.restrictToOwner(out)
            print("wrote \(out): node of \(member), listening on \(listen), audit store \(store)")
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the node until SIGTERM or SIGINT (graceful shutdown).",
            discussion: """
                Example:
                  consort node run --config cp-a/node.json
                """
        )

        @Option(help: "The node configuration (from 'consort node init').") var config: String

        func run() async throws {
            ParentWatch.startIfRequested()
            let configuration = try NodeConfiguration.read(config)
            let base = URL(fileURLWithPath: config).deletingLastPathComponent().path
            let node = try await configuration.load(relativeTo: base)
            try FileManager.default.createDirectory(atPath: node.dataDirectory, withIntermediateDirectories: true)
            var logger = Logger(label: "consort.node")
            logger.logLevel = Logger.Level(rawValue: configuration.logLevel) ?? .info
            let loggerCopy = logger
            let dataDirectory = node.dataDirectory
            let metrics = NodeMetrics.bootstrap()
            try await AuditStores.with(node.store) { store in
                let log = try AuditLog(store: store, identity: node.identity)
                let tasks = try await TaskStores.open(node.store, dataDirectory: dataDirectory)
                print("node \(node.member) listening on https://\(node.configuration.listen) (audit: \(node.store))")
                if let ui = node.configuration.ui { print("web UI of \(node.member) on http://\(ui)/") }
                do {
                    let server = NodeServer(node: node, log: log, tasks: tasks, metrics: metrics, logger: loggerCopy)
                    let group = ServiceGroup(
                        configuration: .init(
                            services: try await server.services(), gracefulShutdownSignals: [.sigterm, .sigint],
                            logger: loggerCopy))
                    try await group.run()
                    try await server.stopped()
                    try await tasks.close()
                } catch {
                    try? await tasks.close()
                    throw error
                }
            }
        }
    }
}
