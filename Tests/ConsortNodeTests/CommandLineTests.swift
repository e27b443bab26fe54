import ConsortAudit
import ConsortNode
import ConsortPKI
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

/// The command line as a new user meets it: help that reads at 80 columns, no signature or file lost, errors that
/// name the problem without the usage text, and no password on the screen.
@Suite("The command line, tried as a new user")
struct CommandLineTests {
    static func consort(_ arguments: [String], environment: [String: String] = [:]) throws -> Subprocess.Output {
        try Subprocess.run(try TestEnvironment.consortExecutable().path, arguments, environment: environment)
    }

    /// Every command and subcommand, from the help's SUBCOMMANDS sections.
    static func commands(_ prefix: [String] = []) throws -> [[String]] {
        let help = try Self.consort(prefix + ["--help"], environment: ["COLUMNS": "400"]).stdout
        guard let section = help.components(separatedBy: "SUBCOMMANDS:\n").dropFirst().first else { return [] }
        let names = section.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }
            .compactMap { line -> String? in
                guard line.hasPrefix("  "), let name = line.split(separator: " ").first,
                    name.first?.isLetter == true
                else { return nil }
                return String(name)
            }
        return try names.flatMap { name in [prefix + [name]] + (try Self.commands(prefix + [name])) }
    }

    @Test("every example in every command's help fits 80 columns, so none is cut in the middle of a command")
    func helpExamplesFit() throws {
        let commands = try Self.commands()
        #expect(commands.count > 30, "\(commands)")
        var long: [String] = []
        for command in [[]] + commands {
            // Wide enough that nothing is wrapped: what is longer than 80 here is wrapped at 80 columns.
            let help = try Self.consort(command + ["--help"], environment: ["COLUMNS": "400"]).stdout
            var continued = false
            for line in help.split(separator: "\n") {
                let example = line.hasPrefix("  consort ") || continued
                if example && line.count > 80 { long.append("\(command.joined(separator: " ")): \(line)") }
                continued = example && line.hasSuffix("\\")
            }
        }
        #expect(long.isEmpty, "\(long.joined(separator: "\n"))")
    }

    @Test(
        "bench mpc and demo place their parties only at three addresses, and not where the placement cannot apply; the demo refuses joins too large for it"
    )
    func partyPlacement() throws {
        let cases: [([String], String)] = [
            (
                ["bench", "mpc", "--op", "mul", "--n", "10", "--hosts", "198.19.0.10,198.19.0.11"],
                "--hosts must list three addresses"
            ),
            (["bench", "mpc", "--op", "mul", "--n", "10", "--hosts", "a,,c"], "--hosts must list three addresses"),
            (
                [
                    "bench", "mpc", "--op", "mul", "--n", "10", "--transport", "memory", "--launch",
                    "ip netns exec x-{party}",
                ], "place the processes of --transport tls"
            ),
            (["bench", "mpc", "--op", "mul", "--n", "10", "--launch", " "], "--launch must name a command"),
            (["demo", "--ui", "--hosts", "198.19.0.10,198.19.0.11,198.19.0.12"], "without --ui"),
            // The demo's join holds its sorted columns whole: sizes that would not fit are refused up front.
            (["demo", "--students", "1000"], "--students belongs to --join"),
            (["demo", "--join", "--records", "1000000", "--students", "1"], "--students must be 2...10000000"),
            (["demo", "--join", "--records", "10000000"], "at most 10500000 rows in all"),
            (["demo", "--join", "--records", "10000000", "--students", "500001"], "at most 10500000 rows in all"),
        ]
        for (arguments, message) in cases {
            let output = try Self.consort(arguments)
            #expect(output.status == 64 && output.stderr.contains(message), "\(arguments): \(output.stderr)")
        }
    }

    @Test("cts sign never drops signatures: a second party signing the plain CTS into the signed file is refused")
    func signingInTurn() async throws {
        let directory = try Subprocess.temporaryDirectory("consort-cli-sign")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.path
        let (consortium, signers) = try TestConsortium.household()
        try PEMFiles.write(try PEMFiles.pem([consortium.root.certificate]), to: "\(path)/root.pem")
        for member in ["nso-north", "nso-south"] {
            try signers[try MemberID(member)]!.write(directory: path, name: member)
        }
        try TestSpecifications.householdIncome().write(toFile: "\(path)/task.json", atomically: true, encoding: .utf8)
        let first = try Self.consort([
            "cts", "sign", "\(path)/task.json", "--identity", "\(path)/nso-north", "--out", "\(path)/signed.json",
        ])
        #expect(first.succeeded && first.stdout.contains("1 signature(s)"), "\(first.stdout) \(first.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: "\(path)/signed.json"))
        // What the README once showed: each party signs task.json into the same --out.
        let second = try Self.consort([
            "cts", "sign", "\(path)/task.json", "--identity", "\(path)/nso-south", "--out", "\(path)/signed.json",
        ])
        #expect(
            !second.succeeded && second.stderr.contains("already holds this CTS signed by nso-north")
                && second.stderr.contains("consort cts sign \(path)/signed.json") && !second.stderr.contains("USAGE"),
            "\(second.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(path)/signed.json")) == before)
        let inTurn = try Self.consort([
            "cts", "sign", "\(path)/signed.json", "--identity", "\(path)/nso-south", "--out", "\(path)/signed.json",
        ])
        #expect(inTurn.succeeded && inTurn.stdout.contains("2 signature(s)"), "\(inTurn.stdout) \(inTurn.stderr)")
        try "{}".write(toFile: "\(path)/other.json", atomically: true, encoding: .utf8)
        let other = try Self.consort([
            "cts", "sign", "\(path)/task.json", "--identity", "\(path)/nso-north", "--out", "\(path)/other.json",
        ])
        #expect(!other.succeeded && other.stderr.contains("is not this CTS signed"), "\(other.stderr)")
    }

    @Test("audit checkpoint refuses a store that does not exist or holds no log, creating nothing")
    func checkpointOfNothing() async throws {
        let directory = try Subprocess.temporaryDirectory("consort-cli-checkpoint")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.path
        let consortium = try TestConsortium.household().0
        try consortium.node("cp-a").write(directory: path, name: "node")
        let missing = try Self.consort([
            "audit", "checkpoint", "--store", "sqlite:\(path)/cp-a/audit.db", "--identity", "\(path)/node",
        ])
        #expect(
            !missing.succeeded && missing.stderr.contains("there is no audit store at '\(path)/cp-a/audit.db'")
                && missing.stderr.contains("DATA/audit.db"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(path)/cp-a/audit.db"))
        try await AuditStores.with(.sqlite(path: "\(path)/empty.db")) { _ in }
        let empty = try Self.consort([
            "audit", "checkpoint", "--store", "sqlite:\(path)/empty.db", "--identity", "\(path)/node",
        ])
        #expect(!empty.succeeded && empty.stderr.contains("holds no audit log"), "\(empty.stderr)")
        let export = try Self.consort(["audit", "export", "--store", "sqlite:\(path)/nothing.db", "--out", "x"])
        #expect(!export.succeeded && export.stderr.contains("there is no audit store"), "\(export.stderr)")
    }

    @Test("node init keeps the database password off the screen, and replaces a configuration only with --force")
    func nodeInit() async throws {
        let deployment = try await TaskSubmissionTests.Deployment(started: [])
        let path = deployment.path
        let crls = try FileManager.default.contentsOfDirectory(atPath: "\(path)/crls").flatMap {
            ["--crl", "\(path)/crls/\($0)"]
        }
        let arguments =
            [
                "node", "init", "--member", "cp-a", "--identity", "\(path)/cp-a-node", "--root", "\(path)/root.pem",
                "--directory", "\(path)/directory.json", "--listen", "127.0.0.1:7443",
                "--store", "postgres://consort:s3cret-pw@db.example:5432/consort", "--out", "\(path)/init.json",
            ] + crls
        let written = try Self.consort(arguments)
        #expect(written.succeeded, "\(written.stdout) \(written.stderr)")
        #expect(
            !written.stdout.contains("s3cret-pw") && written.stdout.contains("postgres://consort@db.example:5432"),
            "\(written.stdout)")
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(path)/init.json")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let again = try Self.consort(arguments)
        #expect(!again.succeeded && again.stderr.contains("--force"), "\(again.stderr)")
        let forced = try Self.consort(arguments + ["--force"])
        #expect(forced.succeeded, "\(forced.stdout) \(forced.stderr)")
        let badMode = try Self.consort(
            arguments.map { $0.hasPrefix("postgres://") ? $0 + "?sslmode=prefer" : $0 } + ["--force"])
        #expect(
            !badMode.succeeded && badMode.stderr.contains("sslmode=prefer is not supported")
                && !badMode.stderr.contains("s3cret-pw"), "\(badMode.stderr)")
    }

    @Test("sslmode is honoured: require fails without TLS; verify-full checks the CA and the name; disable works")
    func sslMode() async throws {
        #expect(try PostgresAddress("postgres://u@h/d").tls == .disable)
        #expect(try PostgresAddress("postgres://u@h/d?sslmode=verify-full&sslrootcert=/ca.pem").tls == .verifyFull)
        #expect(throws: AuditError.self) { try PostgresAddress("postgres://u@h/d?sslmode=allow") }
        #expect(throws: AuditError.self) { try PostgresAddress("postgres://u@h/d?sslmode=require&sslrootcert=/x") }
        #expect(throws: AuditError.self) { try PostgresAddress("postgres://u@h/d?connect_timeout=3") }
        guard TestPostgres.canRun else { return }
        try await TestPostgres.withDatabase { url in
            // The test server runs without TLS: a client that requires it must fail, naming TLS.
            do {
                try await AuditStores.with(.postgres(url: url + "?sslmode=require")) { _ in }
                Issue.record("sslmode=require connected to a server without TLS")
            } catch {
                #expect("\(error)".lowercased().contains("ssl") || "\(error)".contains("TLS"), "\(error)")
            }
            let size = try await AuditStores.with(.postgres(url: url + "?sslmode=disable")) { store in
                try await store.head().size
            }
            #expect(size == 0)
        }
        // A server with TLS, its certificate for the name localhost only (from a test CA): verify-full to that name
        // with that CA connects; another CA, or the address 127.0.0.1 the certificate does not name, is refused;
        // verify-ca checks the CA but not the name; require checks nothing.
        try await TestPostgresTLS.withServer { (server: TestPostgresTLS.Server) async throws in
            func head(_ query: String, host: String) async throws -> Int64 {
                let url = server.url.replacingOccurrences(of: "127.0.0.1", with: host) + "?" + query
                return try await AuditStores.with(.postgres(url: url)) { try await $0.head().size }
            }
            #expect(try await head("sslmode=verify-full&sslrootcert=\(server.caFile)", host: "localhost") == 0)
            #expect(try await head("sslmode=verify-ca&sslrootcert=\(server.caFile)", host: "127.0.0.1") == 0)
            #expect(try await head("sslmode=require", host: "127.0.0.1") == 0)
            for (query, host) in [
                ("sslmode=verify-full&sslrootcert=\(server.otherCAFile)", "localhost"),
                ("sslmode=verify-ca&sslrootcert=\(server.otherCAFile)", "127.0.0.1"),
                ("sslmode=verify-full&sslrootcert=\(server.caFile)", "127.0.0.1"),
            ] {
                do {
                    _ = try await head(query, host: host)
                    Issue.record("\(query) to \(host) connected")
                } catch {
                    #expect("\(error)".lowercased().contains("certificate"), "\(query) to \(host): \(error)")
                }
            }
        }
    }

    @Test("a CSV with a bad value is reported with its line and column, without the usage text")
    func csvError() throws {
        let directory = try Subprocess.temporaryDirectory("consort-cli-csv")
        defer { try? FileManager.default.removeItem(at: directory) }
        let cts = TestData.repositoryRoot.appendingPathComponent("Specs/examples/household-income.json").path
        let synth = try Self.consort([
            "data", "synth", "--cts", cts, "--table", "households", "--rows", "20", "--out",
            "\(directory.path)/hh.csv",
        ])
        try #require(synth.succeeded, "\(synth.stderr)")
        var lines = try String(contentsOfFile: "\(directory.path)/hh.csv", encoding: .utf8).split(separator: "\n")
            .map(String.init)
        lines[3] = lines[3].split(separator: ",", omittingEmptySubsequences: false).enumerated().map {
            $0.offset == 1 ? "not-a-number" : String($0.element)
        }.joined(separator: ",")
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: "\(directory.path)/bad.csv", atomically: true, encoding: .utf8)
        let run = try Self.consort(["query", "run", "--cts", cts, "--input", "households=\(directory.path)/bad.csv"])
        #expect(
            !run.succeeded && run.stderr.contains("bad.csv:4: column 'age': 'not-a-number' is not an integer")
                && !run.stderr.contains("USAGE"), "\(run.stderr)")
    }
}
