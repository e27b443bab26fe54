import ArgumentParser
import ConsortAudit
import ConsortClient
import ConsortNode
import ConsortPKI
import ConsortQuery
import ConsortSpec
import ConsortTransport
import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a complete consortium on this machine, end to end.",
        discussion: """
            Generates an operator, three computing parties, two input parties, an output party and an auditor with
            real certificates; starts the three computing-party nodes on loopback (mutual TLS; embedded SQLite, or
            one PostgreSQL database per node with --database); has every member sign the household-income task;
            submits it; uploads secret-shared synthetic data from both statistics offices; waits for the MPC; fetches
            and prints the result; the auditor pulls every node's audit log and verifies them all.

            With --join the task links registers instead: nso-north's tax records (--records rows) are joined on the
            personal id with nso-south's student register (--students rows, by default a tenth as many, the id unique)
            under MPC.

            With --ui it starts a node for every member instead (operator excepted), each with its web UI, prints
            every UI's address and a one-time sign-in link, writes the draft task and the offices' CSV files, and
            keeps the consortium running until interrupted (Ctrl-C): a person walks through the whole task in a
            browser (README: "In a browser").

            Examples:
              swift run consort demo --records 100000
              swift run consort demo --security active
              swift run consort demo --join --records 1000000
              swift run consort demo --join --records 10000000 --students 500000
              swift run consort demo --ui
              swift run consort demo --database postgres://consort@127.0.0.1:5432/postgres
            """
    )

    @Option(help: "Synthetic household records in total (split between the two input parties).")
    var records: Int = 20_000

    @Option(help: "Keep the consortium's files (certificates, configurations, logs, databases) in this directory.")
    var keep: String?

    @Option(
        help: ArgumentHelp(
            "Keep each node's audit trail and tasks in PostgreSQL: a fresh database per node is created on this server (the user needs CREATEDB) and dropped afterwards unless --keep.",
            valueName: "postgres-url"))
    var database: String?

    @Flag(help: "Start every member's node with its web UI and keep them running until interrupted.")
    var ui = false

    @Flag(
        help:
            "Link two registers: --records tax records of nso-north joined on a secret personal id with a student register of nso-south a tenth that size."
    )
    var join = false

    @Option(help: "With --join: the rows of nso-south's student register (default: a tenth of --records).")
    var students: Int?

    @Option(
        help: ArgumentHelp(
            "The task's engine security: passive, or active (every message of the MPC checked; a cheating computing party is caught before anything is released).",
            valueName: "security"))
    var security: EngineDescriptor.Security = .passive

    @OptionGroup var placement: PartyPlacement

    func validate() throws {
        guard (2...10_000_000).contains(records) else {
            throw ValidationError("--records must be 2...10000000")
        }
        if let students {
            guard join else { throw ValidationError("--students belongs to --join") }
            guard (2...10_000_000).contains(students) else { throw ValidationError("--students must be 2...10000000") }
        }
        if join, records + (students ?? records / 10) > 10_500_000 {
            throw ValidationError(
                "--join takes at most 10500000 rows in all (--records and --students): the join holds its sorted columns whole, about 0.35 kB per row on every node (3.5 GiB at this limit)"
            )
        }
        if join, ui { throw ValidationError("--join runs without --ui") }
        if ui, !placement.isLocal {
            throw ValidationError("--hosts and --launch place the computing parties of the demo without --ui")
        }
    }

    func run() async throws {
        ParentWatch.startIfRequested()
        let root: String
        if let keep {
            root = URL(fileURLWithPath: keep).standardizedFileURL.path
            guard !FileManager.default.fileExists(atPath: root) else {
                throw ValidationError("'\(keep)' exists: choose a new --keep directory")
            }
        } else {
            root =
                FileManager.default.temporaryDirectory.appendingPathComponent(
                    "consort-demo-\(UUID().uuidString.prefix(8))"
                ).path
        }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: root) } }
        let computing = DemoConsortium.computing
        let run = self.ui ? self.walkthrough : self.demo
        guard let database else {
            return try await run(root, computing.map { "sqlite:\(root)/\($0)/data/audit.db" })
        }
        let databases = try DemoDatabases(server: database, members: computing)
        try await databases.create()
        do {
            try await run(root, databases.urls)
        } catch {
            if keep == nil { await databases.drop() }
            throw error
        }
        if keep == nil {
            await databases.drop()
        } else {
            print("the nodes' databases are kept: \(databases.names.joined(separator: ", "))")
        }
    }

    /// The demo proper, in `root`, with each computing party's store at `stores`.
    private func demo(in root: String, stores: [String]) async throws {
        var clock = PhaseClock()

        // 1. The consortium's PKI, and 2. three computing-party nodes, each with its own store.
        let consortium = try DemoConsortium(
            in: root, nodes: DemoConsortium.computing,
            hosts: Dictionary(
                uniqueKeysWithValues: DemoConsortium.computing.enumerated().map { ($1, placement.host($0)) }))
        let rootCertificate = consortium.rootCertificate
        let user = consortium.user
        clock.lap("certificates for 7 members, their CRLs and the signed directory")
        defer { consortium.stop() }
        for (index, id) in DemoConsortium.computing.enumerated() {
            try consortium.start(
                id, try consortium.configuration(id, store: stores[index]),
                process: placement.process(
                    index, arguments: ["node", "run", "--config", consortium.configurationPath(id)]))
        }
        try await consortium.waitUntilListening()
        clock.lap(
            "three computing-party nodes listening (mutual TLS 1.3; stores: \(database == nil ? "SQLite" : "PostgreSQL"))"
        )

        // 3. Every member signs the task; a signer of nso-north submits it.
        let studentRows = self.students ?? max(2, self.records / 10)
        let query = self.join ? ExampleSpecification.linkageQuery : ExampleSpecification.householdQuery
        let text =
            self.join
            ? ExampleSpecification.registerLinkage(
                now: Date(), taxRows: max(self.records, 1_000), studentRows: max(studentRows, 100), id: "linkage-demo",
                title: "Working students by field (demo)", security: self.security)
            : ExampleSpecification.householdIncome(
                now: Date(), query: query, id: "hh-income-demo", title: "Household income by region (demo)",
                security: self.security, maxRows: max(self.records, 1_000_000))
        var jws = MultiSignatureJWS(payload: Array(text.utf8))
        for id in ["nso-north", "nso-south", "eurostat", "cp-a", "cp-b", "cp-c"] {
            try jws.sign(
                as: try SigningIdentity.load(identity: try user(id, "signer", [.signer])), member: try MemberID(id))
        }
        let task = jws.taskID
        let client = consortium.client
        let (_, accepted) = try await client("\(root)/nso-north/signer").submit(jws.serialized())
        if let refused = accepted.first(where: { !$0.succeeded }) {
            throw CommandFailure("\(refused.member) refused the task: \(refused.body)")
        }
        print("task \(task)\n  \"\(query)\"\n  accepted by cp-a, cp-b, cp-c")
        clock.lap("task signed by 6 members, verified and accepted by every computing party")

        // 4. Both statistics offices validate, secret-share and upload their synthetic households.
        let cts = try SpecificationDocument(bytes: Array(text.utf8)).validSpecification(engines: EngineRegistry.shared)
        // Each office's table, rows and seed: the household survey split in two, or the two registers.
        let uploads: [(office: String, table: String, rows: Int)] =
            self.join
            ? [("nso-north", "taxes", self.records), ("nso-south", "students", studentRows)]
            : [
                ("nso-north", "households", self.records / 2 + self.records % 2),
                ("nso-south", "households", self.records / 2),
            ]
        // The two offices at once, as they would be: each makes its file, validates it and uploads it in batches.
        let uploaders = try uploads.map { try client(try user($0.office, "uploader", [.uploader])) }
        let done = try await withThrowingTaskGroup(of: (Int, TableData, MemberClient.Upload).self) { group in
            for (index, (office, name, rows)) in uploads.enumerated() {
                let uploader = uploaders[index]
                group.addTask {
                    let table = cts.table(named: name)!
                    let csv = try DataSynth.csv(table: table, rows: rows, seed: UInt64(index + 1))
                    try csv.write(toFile: "\(root)/\(office)/\(name).csv", atomically: true, encoding: .utf8)
                    let data = try CSVTable.parse(csv, table: table, source: "\(office)/\(name).csv")
                    return (index, data, try await uploader.upload(data, task: task, table: name, cts: cts))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }.sorted { $0.0 < $1.0 }
        }
        var parts: [String: [TableData]] = [:]
        for (index, data, upload) in done {
            let (office, name, rows) = uploads[index]
            parts[name, default: []].append(data)
            guard upload.complete else {
                var lines: [String] = []
                _ = InputCommand.Upload.print(upload, table: name) { lines.append($0) }
                throw CommandFailure("the upload of \(office) failed:\n" + lines.joined(separator: "\n"))
            }
            print(
                "  \(office): \(rows) rows of \(name) validated, secret-shared and uploaded in \(upload.batches.count) "
                    + "batch(es); \(3 * upload.batches.count) signed receipts checked")
        }
        clock.lap(
            "inputs: \(uploads.map(\.rows).reduce(0, +)) records validated, secret-shared and uploaded by 2 input parties"
        )

        // 5. The nodes compute on their own once every input is in.
        let analyst = try client(try user("eurostat", "analyst", [.analyst]))
        let deadline = ContinuousClock.now + .seconds(3600)
        // Polls every 100 ms at first, then every 200 ms: a poll costs the nodes about a millisecond, and the time this
        // prints is only as exact as the pause (it was up to 1 s, which rounded the MPC's time up by as much).
        var pause = Duration.milliseconds(100)
        while true {
            let states = try await analyst.status(task: task)
            if states.allSatisfy({ $0.value?.state == .resultsReady }) { break }
            if let failed = states.first(where: { $0.value?.state == .aborted }) {
                throw CommandFailure("the computation was aborted: \(failed.body)")
            }
            guard ContinuousClock.now < deadline else {
                throw CommandFailure("the computation did not finish in an hour: \(states.map(\.line))")
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 1.5, .milliseconds(200))
        }
        clock.lap("MPC between the three nodes over mutual TLS")

        // 6. Eurostat collects the result shares and reconstructs the result.
        let result = try await analyst.result(task: task)
        clock.lap("result shares fetched by the output party, checked and reconstructed")
        print("\nresult for eurostat:\n" + result.table())
        let plan = try QueryChecker.check(cts)
        let plaintext = try PlainEngine.run(plan, on: plan.inputs.map { TableData.union(parts[$0.table.name] ?? []) })
        let agrees =
            zip(result.rows, plaintext.rows).allSatisfy { zip($0, $1).allSatisfy { Self.close($0, $1) } }
            && result.rows.count == plaintext.rows.count
        print(
            "the same query in plaintext on the pooled data (which no one ever held) gives the same result: \(agrees ? "yes" : "NO")"
        )

        // 7. The auditor pulls every node's audit trail over mutual TLS and verifies each chain and their agreement.
        print("\nthe auditor pulls every node's audit log:")
        let auditor = try client(try user("auditor", "inspector", [.auditor]))
        guard await auditor.pullAudit(into: "\(root)/audit", report: { print($0) }) == 0 else {
            throw CommandFailure("the audit logs could not all be pulled")
        }
        guard
            try await Audit.Verify.verifyDirectory("\(root)/audit", root: rootCertificate, report: { print("  " + $0) })
        else {
            throw CommandFailure("the audit logs do not verify (see above)")
        }
        consortium.stop()
        clock.lap("audit logs pulled by the auditor and verified; nodes stopped")
        print("\ntimings")
        clock.report()
        if let keep { print("\neverything is kept in \(keep)") }
        if !agrees { throw ExitCode(2) }
    }

    static func close(_ a: ResultValue?, _ b: ResultValue?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let x?, let y?):
            if let u = x.doubleValue, let v = y.doubleValue { return abs(u - v) <= max(1e-6, 1e-6 * abs(v)) }
            return x == y
        default: return false
        }
    }
}

/// Wall time per phase of the demo.
struct PhaseClock {
    private var last = ContinuousClock.now
    private var phases: [(String, Duration)] = []

    mutating func lap(_ name: String) {
        let now = ContinuousClock.now
        self.phases.append((name, now - self.last))
        self.last = now
    }

    func report() {
        for (name, duration) in self.phases { print("  \(String(format: "%7.2f", duration.seconds)) s  \(name)") }
    }
}

extension EngineDescriptor.Security: ExpressibleByArgument {}
