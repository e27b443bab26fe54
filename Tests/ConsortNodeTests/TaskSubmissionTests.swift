import ConsortAudit
import ConsortClient
import ConsortMPC
import ConsortNode
import ConsortPKI
import ConsortQuery
import ConsortSpec
import ConsortTesting
import ConsortTransport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Three computing-party node processes; members submit signed CTSs with `consort task submit` and follow them with
/// `consort task status`, over mutual TLS.
@Suite("Task submission to computing-party nodes", .serialized)
struct TaskSubmissionTests {
    /// Three computing-party nodes of the household consortium, its directory, and every member's signer.
    final class Deployment {
        let directory: URL
        let path: String
        let consortium: TestConsortium
        let signers: [MemberID: SigningIdentity]
        let computing = ["cp-a", "cp-b", "cp-c"]
        var nodes: [TestNodeProcess] = []
        let consort: String

        /// Audit store of each node: SQLite in the node's directory unless given (e.g. PostgreSQL URLs).
        let stores: [String]

        /// The API port of each computing party's node (its MPC listener is the next port).
        var ports: [Int] = []
        /// Members other than the computing parties that run a node too (`memberNodes`), with its API port.
        var memberPorts: [String: Int] = [:]

        /// Starts the nodes of `started` (all three by default), and one for each of `memberNodes` (other members,
        /// e.g. the statistics offices) after them; `prepare` may write files the nodes need (identities) into the
        /// deployment's folder, and `configure` may change each node's configuration, before any node starts. In
        /// `lab`, computing party I runs on the lab's host I (its address and network namespace).
        init(
            stores: [String]? = nil, started: Set<String> = ["cp-a", "cp-b", "cp-c"], memberNodes: [String] = [],
            lab: TestNetworkLab? = nil,
            configure: (String, inout NodeConfiguration) -> Void = { _, _ in },
            prepare: (TestConsortium, String) throws -> Void = { _, _ in },
            environment: [String: [String: String]] = [:]
        ) async throws {
            self.directory = try Subprocess.temporaryDirectory("consort-tasks")
            self.path = self.directory.path
            let path = self.path
            (self.consortium, self.signers) = try TestConsortium.household()
            self.stores = stores ?? ["cp-a", "cp-b", "cp-c"].map { "sqlite:\(path)/\($0)/audit.db" }
            let consortium = self.consortium
            let computing = self.computing
            try PEMFiles.write(try PEMFiles.pem([consortium.root.certificate]), to: "\(path)/root.pem")
            // API ports, each with the next port (its MPC listener) free too.
            let chosen = try FreePort.nodePorts(count: 4 + memberNodes.count)
            let (ports, cMPCPort) = (Array(chosen.prefix(3)), chosen[3])
            let memberPorts = Dictionary(uniqueKeysWithValues: zip(memberNodes, chosen.dropFirst(4)))
            let entries = try TestSpecifications.householdMembers.map { id, roles -> String in
                let pem = try PEMFiles.pem([try consortium.member(id).authority.certificate]).replacingOccurrences(
                    of: "\n", with: "\\n")
                // cp-c's MPC listener is on a port of its own (the directory's mpcPort); the others use API port + 1.
                let port = computing.firstIndex(of: id).map { ports[$0] } ?? memberPorts[id]
                let host = computing.firstIndex(of: id).flatMap { lab?.address($0) } ?? "127.0.0.1"
                let endpoint =
                    (port.map { #", "endpoint": "https://\#(host):\#($0)""# } ?? "")
                    + (id == "cp-c" ? #", "mpcPort": \#(cMPCPort)"# : "")
                return
                    #"{"id": "\#(id)", "name": "Org \#(id)", "roles": [\#(roles.map { "\"\($0)\"" }.joined(separator: ","))], "ca": "\#(pem)"\#(endpoint)}"#
            }
            let members = try MemberDirectory.readMembers(
                Array(#"{"members": [\#(entries.joined(separator: ", "))]}"#.utf8), baseDirectory: path,
                root: consortium.root.certificate)
            guard members.member(try MemberID("cp-c"))?.mpcAddress?.port == cMPCPort else {
                throw NodeError(.configuration, "cp-c's mpcPort is not in the directory")
            }
            try Data(try members.signed(by: consortium.root.certificate, key: consortium.root.privateKey)).write(
                to: URL(fileURLWithPath: "\(path)/directory.json"))
            let crls = try consortium.writeCRLs(to: "\(path)/crls")
            try prepare(consortium, path)
            for (index, member) in computing.enumerated() {
                let host = lab?.address(index) ?? "127.0.0.1"
                try consortium.node(member, ip: [host]).write(directory: path, name: "\(member)-node")
                var configuration = NodeConfiguration(
                    member: member, identity: "\(path)/\(member)-node", root: "\(path)/root.pem",
                    directory: "\(path)/directory.json", listen: "\(host):\(ports[index])",
                    store: self.stores[index], data: "\(path)/\(member)")
                configuration.checkpointSeconds = 1
                configuration.proposalRetrySeconds = 0.5
                configuration.crls = crls
                // Generous where the whole suite on two cores slows handshakes and rounds; the tests of these limits
                // set their own.
                configuration.handshakeTimeoutSeconds = 60
                configuration.silenceLimitSeconds = 30
                configure(member, &configuration)
                try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: "\(path)/\(member).json"))
                if started.contains(member) {
                    self.nodes.append(
                        try TestNodeProcess(
                            configuration: "\(path)/\(member).json", port: ports[index],
                            environment: environment[member] ?? [:], namespace: lab?.namespace(index), host: host))
                }
            }
            for member in memberNodes {
                try consortium.node(member, ip: ["127.0.0.1"]).write(directory: path, name: "\(member)-node")
                var configuration = NodeConfiguration(
                    member: member, identity: "\(path)/\(member)-node", root: "\(path)/root.pem",
                    directory: "\(path)/directory.json", listen: "127.0.0.1:\(memberPorts[member]!)",
                    store: "sqlite:\(path)/\(member)/audit.db", data: "\(path)/\(member)")
                configuration.crls = crls
                configuration.proposalRetrySeconds = 0.5
                configure(member, &configuration)
                try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: "\(path)/\(member).json"))
                self.nodes.append(
                    try TestNodeProcess(configuration: "\(path)/\(member).json", port: memberPorts[member]!))
            }
            self.ports = ports
            self.memberPorts = memberPorts
            for node in self.nodes { try await node.waitUntilListening() }
            self.consort = try TestEnvironment.consortExecutable().path
        }

        /// `consort ARGS --identity PATH/NAME --directory … --root …`.
        func run(_ arguments: [String], as name: String) async throws -> Subprocess.Output {
            try await Subprocess.output(
                self.consort,
                arguments + [
                    "--identity", "\(self.path)/\(name)", "--directory", "\(self.path)/directory.json",
                    "--root", "\(self.path)/root.pem",
                ])
        }

        /// `task status` as the analyst, asked until every computing party reports results-ready or one reports
        /// aborted, for at most two minutes: its last output.
        func awaitResults(_ task: String) async throws -> Subprocess.Output {
            let deadline = ContinuousClock.now + .seconds(120)
            var status = try await self.run(["task", "status", task], as: "analyst")
            while status.stdout.components(separatedBy: "results-ready").count < 4,
                !status.stdout.contains("aborted"), ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(200))
                status = try await self.run(["task", "status", task], as: "analyst")
            }
            return status
        }

        /// Waits for the task's results, fetches them as the analyst and expects the plaintext query's answer on the
        /// input parties' rows `parts`.
        func expectResult(
            _ task: String, _ cts: ComputationTaskSpecification, on parts: [TableData],
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            let status = try await self.awaitResults(task)
            #expect(
                status.stdout.components(separatedBy: "results-ready").count == 4, "\(status.stdout)",
                sourceLocation: sourceLocation)
            let fetched = try await self.run(["output", "fetch", "--task", task, "--format", "csv"], as: "analyst")
            let expected = try PlainEngine.run(try QueryChecker.check(cts), on: .union(parts))
            #expect(
                fetched.stdout == expected.csv(), "\(fetched.stdout) \(fetched.stderr)", sourceLocation: sourceLocation)
        }

        func signed(_ text: String, by members: [String]) throws -> MultiSignatureJWS {
            var jws = MultiSignatureJWS(payload: Array(text.utf8))
            for id in members {
                let member = try MemberID(id)
                try jws.sign(as: try #require(self.signers[member]), member: member)
            }
            return jws
        }

        /// Signs `text` by every required member and submits it as nso-north's signer (all three nodes must accept);
        /// writes the usual users: north-signer, north-uploader, south-uploader, analyst (eurostat).
        func submit(_ text: String) async throws -> (task: String, cts: ComputationTaskSpecification) {
            let signed = try self.signed(text, by: ["nso-north", "nso-south", "eurostat", "cp-a", "cp-b", "cp-c"])
            try Data(signed.serialized()).write(to: URL(fileURLWithPath: "\(self.path)/task.json"))
            try self.signers[try MemberID("nso-north")]!.write(directory: self.path, name: "north-signer")
            for (member, name, role) in [
                ("nso-north", "north-uploader", InternalRole.uploader), ("nso-south", "south-uploader", .uploader),
                ("eurostat", "analyst", .analyst),
            ] {
                try self.consortium.user(member, name: name, roles: [role]).write(directory: self.path, name: name)
            }
            let submitted = try await self.run(["task", "submit", "\(self.path)/task.json"], as: "north-signer")
            guard submitted.succeeded else {
                throw NodeError(.invalidRequest, "the task was not accepted: \(submitted.stdout) \(submitted.stderr)")
            }
            guard let cts = try SpecificationDocument(bytes: Array(text.utf8)).specification().0 else {
                throw NodeError(.invalidRequest, "unreadable CTS")
            }
            return (signed.taskID, cts)
        }

        func audit(_ member: String) async throws -> [AuditEntry] {
            let store = try AuditStores.Address(
                self.computing.firstIndex(of: member).map { self.stores[$0] }
                    ?? "sqlite:\(self.path)/\(member)/audit.db")
            return try await AuditStores.with(store) { try await $0.entries(from: 1, limit: 1000) }
        }

        /// The share files a node keeps of `member`'s upload of the households table (named by member and digest).
        static func shareFiles(of member: String, at taskDirectory: String) -> [String] {
            let folder = "\(taskDirectory)/inputs/households"
            return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
                $0.hasPrefix("\(member).") && $0.hasSuffix(".shares")
            }
        }

        deinit { try? FileManager.default.removeItem(at: self.directory) }
    }

    @Test(
        "a completely signed CTS is accepted by every computing party; an incomplete one is refused, with audit entries"
    )
    func submission() async throws {
        let deployment = try await Deployment()
        let path = deployment.path
        // Signed by every required member, and another CTS missing eurostat's signature.
        let complete = try deployment.signed(
            TestSpecifications.householdIncome(), by: ["nso-north", "nso-south", "eurostat", "cp-a", "cp-b", "cp-c"])
        let incomplete = try deployment.signed(
            TestSpecifications.householdIncome(query: "SELECT COUNT(*) AS n FROM households"),
            by: ["nso-north", "nso-south", "cp-a", "cp-b", "cp-c"])
        try Data(complete.serialized()).write(to: URL(fileURLWithPath: "\(path)/complete.json"))
        try Data(incomplete.serialized()).write(to: URL(fileURLWithPath: "\(path)/incomplete.json"))
        try deployment.signers[try MemberID("nso-north")]!.write(directory: path, name: "alice")

        let submitted = try await deployment.run(["task", "submit", "\(path)/complete.json"], as: "alice")
        #expect(submitted.succeeded, "\(submitted.stdout) \(submitted.stderr)")
        #expect(submitted.stdout.components(separatedBy: ": accepted").count == 4, "\(submitted.stdout)")
        #expect(submitted.stdout.contains("task \(complete.taskID)"))
        let again = try await deployment.run(["task", "submit", "\(path)/complete.json"], as: "alice")
        #expect(
            again.succeeded && again.stdout.components(separatedBy: "accepted (submitted before)").count == 4,
            "a resubmission is not idempotent: \(again.stdout)")

        let status = try await deployment.run(["task", "status", "--task", complete.taskID], as: "alice")
        // The task as an argument, as before, says the same; two different ones are refused.
        let positional = try await deployment.run(["task", "status", complete.taskID], as: "alice")
        #expect(positional.stdout == status.stdout, "\(positional.stdout) \(positional.stderr)")
        let both = try await deployment.run(
            ["task", "status", "--task", complete.taskID, incomplete.taskID], as: "alice")
        #expect(!both.succeeded && both.stderr.contains("two different tasks"), "\(both.stderr)")
        // The same from a profile file (relative paths), and from environment variables; a flag overrides both.
        try #"{"identity": "alice", "directory": "directory.json", "root": "root.pem"}"#.write(
            toFile: "\(path)/profile.json", atomically: true, encoding: .utf8)
        let viaProfile = try Subprocess.run(
            deployment.consort, ["task", "status", complete.taskID, "--profile", "\(path)/profile.json"])
        #expect(viaProfile.stdout == status.stdout, "\(viaProfile.stdout) \(viaProfile.stderr)")
        let environment = [
            "CONSORT_IDENTITY": "\(path)/alice", "CONSORT_DIRECTORY": "\(path)/directory.json",
            "CONSORT_ROOT": "\(path)/root.pem",
        ]
        let viaEnvironment = try Subprocess.run(
            deployment.consort, ["task", "status", complete.taskID], environment: environment)
        #expect(viaEnvironment.stdout == status.stdout, "\(viaEnvironment.stdout) \(viaEnvironment.stderr)")
        let overridden = try Subprocess.run(
            deployment.consort, ["task", "status", complete.taskID, "--root", "\(path)/missing.pem"],
            environment: environment)
        #expect(!overridden.succeeded && overridden.stderr.contains("missing.pem"), "\(overridden.stderr)")
        let unset = try Subprocess.run(deployment.consort, ["task", "status", complete.taskID])
        #expect(!unset.succeeded && unset.stderr.contains("--identity"), "\(unset.stderr)")
        let list = try await deployment.run(["task", "list"], as: "alice")
        #expect(
            list.stdout.components(separatedBy: complete.taskID).count == 4 && !list.stdout.contains(incomplete.taskID),
            "\(list.stdout)")
        #expect(status.stdout.components(separatedBy: ": accepted").count == 4, "\(status.stdout)")

        let refused = try await deployment.run(["task", "submit", "\(path)/incomplete.json"], as: "alice")
        #expect(!refused.succeeded)
        #expect(
            refused.stdout.components(separatedBy: "missing signatures of eurostat").count == 4, "\(refused.stdout)")
        // Refused everywhere: said so, with no line that reads as if the task were in.
        #expect(
            refused.stdout.contains(
                "task \(incomplete.taskID) was not accepted by cp-a, cp-b, cp-c: no computing party holds it")
                && !refused.stdout.contains("accepted by every"), "\(refused.stdout)")
        #expect(submitted.stdout.contains("task \(complete.taskID) accepted by every computing party"))

        for node in deployment.nodes { try await node.expectCleanStop() }
        for member in deployment.computing {
            let entries = try await deployment.audit(member)
            let accepted = entries.filter { $0.action == .ctsAccepted }
            let rejected = entries.filter { $0.action == .ctsRejected }
            #expect(accepted.count == 1 && accepted[0].taskID == complete.taskID, "\(member): \(entries.map(\.action))")
            #expect(
                rejected.count == 1 && rejected[0].taskID == incomplete.taskID
                    && rejected[0].details.contains("eurostat"), "\(member)")
            #expect(entries.filter { $0.action == .ctsReceived }.count == 3, "\(member): \(entries.map(\.action))")
        }
    }

    @Test(
        "end to end: two input parties upload shares, the nodes compute over mTLS, the output party gets the plaintext answer"
    )
    func endToEnd() async throws {
        let deployment = try await Deployment()
        let path = deployment.path
        let text = TestSpecifications.householdIncome()
        let signed = try deployment.signed(text, by: ["nso-north", "nso-south", "eurostat", "cp-a", "cp-b", "cp-c"])
        try Data(signed.serialized()).write(to: URL(fileURLWithPath: "\(path)/task.json"))
        try deployment.signers[try MemberID("nso-north")]!.write(directory: path, name: "north-signer")
        for (member, name, role) in [
            ("nso-north", "north-uploader", InternalRole.uploader), ("nso-south", "south-uploader", .uploader),
            ("eurostat", "analyst", .analyst), ("nso-south", "south-analyst", .analyst),
        ] {
            try deployment.consortium.user(member, name: name, roles: [role]).write(directory: path, name: name)
        }
        let submitted = try await deployment.run(["task", "submit", "\(path)/task.json"], as: "north-signer")
        try #require(submitted.succeeded, "\(submitted.stdout) \(submitted.stderr)")
        let task = signed.taskID

        // Each input party's synthetic rows; the expected answer is the plaintext query on their union.
        let cts = try #require(try SpecificationDocument(bytes: Array(text.utf8)).specification().0)
        let table = try #require(cts.table(named: "households"))
        let north = try DataSynth.csv(table: table, rows: 400, seed: 1),
            south = try DataSynth.csv(table: table, rows: 300, seed: 2)
        try north.write(toFile: "\(path)/north.csv", atomically: true, encoding: .utf8)
        try south.write(toFile: "\(path)/south.csv", atomically: true, encoding: .utf8)
        let expected = try PlainEngine.run(
            try QueryChecker.check(cts),
            on: .union([try CSVTable.parse(north, table: table), try CSVTable.parse(south, table: table)]))

        let early = try await deployment.run(["output", "fetch", "--task", task], as: "analyst")
        #expect(!early.succeeded && early.stderr.contains("no result"), "\(early.stdout) \(early.stderr)")
        let wrongParty = try await deployment.run(
            ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/north.csv"], as: "analyst")
        #expect(!wrongParty.succeeded && wrongParty.stdout.contains("403"), "\(wrongParty.stdout)")

        let northUpload = try await deployment.run(
            ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/north.csv"],
            as: "north-uploader")
        #expect(
            northUpload.succeeded
                && northUpload.stdout.components(separatedBy: "receipt signed by its node").count == 4
                && northUpload.stdout.contains("to every computing party"),
            "\(northUpload.stdout) \(northUpload.stderr)")
        // The receipts are kept in the journal next to the identity; the shares are gone once all three took them.
        let journal = "\(path)/north-uploader.uploads/\(task)/households"
        for member in deployment.computing {
            #expect(FileManager.default.fileExists(atPath: "\(journal)/000001/\(member).receipt.json"))
            #expect(!FileManager.default.fileExists(atPath: "\(journal)/000001/\(member).shares"))
        }
        // The same upload again changes nothing and says so; another file is refused here, naming the batch held.
        let again = try await deployment.run(
            ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/north.csv"],
            as: "north-uploader")
        #expect(
            again.succeeded && again.stdout.components(separatedBy: "earlier (receipt kept)").count == 4,
            "\(again.stdout) \(again.stderr)")
        let other = try await deployment.run(
            ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/south.csv"],
            as: "north-uploader")
        #expect(
            !other.succeeded && other.stderr.contains("from a different file") && !other.stderr.contains("USAGE"),
            "\(other.stdout) \(other.stderr)")
        // Without the journal the nodes themselves refuse a second, different batch.
        let replay = try await deployment.run(
            [
                "input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/north.csv",
                "--journal", "\(path)/elsewhere",
            ], as: "north-uploader")
        #expect(
            !replay.succeeded && replay.stdout.components(separatedBy: "refused (409)").count == 4
                && replay.stdout.contains("nothing was uploaded"), "\(replay.stdout)")
        let southUpload = try await deployment.run(
            [
                "input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/south.csv",
                "--progress", "always",
            ], as: "south-uploader")
        #expect(southUpload.succeeded, "\(southUpload.stdout) \(southUpload.stderr)")
        #expect(
            southUpload.stderr.hasPrefix("\ruploading households [")
                && southUpload.stderr.hasSuffix("] 100% 0.0/0.0 MiB\n"), "\(southUpload.stderr)")

        // The nodes compute on their own once every input is in.
        let status = try await deployment.awaitResults(task)
        #expect(status.stdout.components(separatedBy: "results-ready").count == 4, "\(status.stdout)")

        let refusedOutput = try await deployment.run(["output", "fetch", "--task", task], as: "south-analyst")
        #expect(
            !refusedOutput.succeeded && refusedOutput.stderr.contains("not an output party"), "\(refusedOutput.stderr)")
        let fetched = try await deployment.run(["output", "fetch", "--task", task, "--format", "csv"], as: "analyst")
        try #require(fetched.succeeded, "\(fetched.stdout) \(fetched.stderr)")
        #expect(fetched.stdout == expected.csv(), "MPC result\n\(fetched.stdout)\nplaintext\n\(expected.csv())")

        // The auditor pulls every node's log and verifies chains, signatures and the nodes' agreement; others may not pull.
        // Each node checkpoints its log (at most once a second here) and the other two countersign; wait until every
        // node has a checkpoint with both countersignatures.
        try deployment.consortium.user("auditor", name: "inspector", roles: [.auditor]).write(
            directory: path, name: "inspector")
        var verified: Subprocess.Output
        let witnessed = ContinuousClock.now + .seconds(20)
        repeat {
            let pulled = try await deployment.run(["audit", "pull", "--out", "\(path)/logs"], as: "inspector")
            #expect(pulled.succeeded, "\(pulled.stdout) \(pulled.stderr)")
            verified = try Subprocess.run(
                deployment.consort, ["audit", "verify", "--dir", "\(path)/logs", "--root", "\(path)/root.pem"])
            if verified.stdout.components(separatedBy: " with 0 witness").count == 1 || ContinuousClock.now > witnessed
            {
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        } while true
        #expect(
            verified.succeeded && verified.stdout.contains("audit verified: 3 node(s) agree"),
            "\(verified.stdout) \(verified.stderr)")
        #expect(
            verified.stdout.components(separatedBy: " with 0 witness").count == 1
                && verified.stdout.components(separatedBy: "witness signature(s)").count == 4,
            "not every node's checkpoints were countersigned: \(verified.stdout)")
        // A forged countersignature (another witness's signature bytes swapped in) is caught.
        var checkpoints = try String(contentsOfFile: "\(path)/logs/cp-a.checkpoints.jsonl", encoding: .utf8).split(
            separator: "\n"
        )
        .map { try AuditCheckpoint(json: StrictJSONReader().parse(Array($0.utf8))) }
        if let index = checkpoints.firstIndex(where: { $0.witnesses.count == 2 }) {
            checkpoints[index].witnesses[0].signature = checkpoints[index].witnesses[1].signature
            try checkpoints.map { JSONWriter.string($0.json) + "\n" }.joined().write(
                toFile: "\(path)/logs-forged.jsonl", atomically: true, encoding: .utf8)
            try FileManager.default.copyItem(atPath: "\(path)/logs", toPath: "\(path)/logs-forged")
            try FileManager.default.removeItem(atPath: "\(path)/logs-forged/cp-a.checkpoints.jsonl")
            try FileManager.default.moveItem(
                atPath: "\(path)/logs-forged.jsonl", toPath: "\(path)/logs-forged/cp-a.checkpoints.jsonl")
            let forged = try Subprocess.run(
                deployment.consort, ["audit", "verify", "--dir", "\(path)/logs-forged", "--root", "\(path)/root.pem"])
            #expect(
                !forged.succeeded && forged.stdout.contains("cp-a: FAILED")
                    && forged.stdout.contains("countersignature"), "\(forged.stdout)")
        } else {
            Issue.record("cp-a has no checkpoint with two countersignatures: \(checkpoints.map(\.witnesses.count))")
        }
        let notAuditor = try await deployment.run(["audit", "pull", "--out", "\(path)/logs2"], as: "analyst")
        #expect(!notAuditor.succeeded && notAuditor.stdout.contains("403"), "\(notAuditor.stdout)")
        // A pulled log cut after its last countersigned checkpoint is caught against the head each node signed when
        // the auditor pulled it. That needs a pull whose head the other nodes have not countersigned yet: they
        // countersign within a second, sometimes before the pull reads the checkpoints, so pull again until one is
        // not (the logs grow as the nodes countersign each other's checkpoints, so a later pull signs a later head).
        var head: Int64 = 0
        var lastWitnessed: Int64 = 0
        for attempt in 0..<10 where head <= lastWitnessed {
            if attempt > 0 {
                try await Task.sleep(for: .milliseconds(300))
                try? FileManager.default.removeItem(atPath: "\(path)/logs-cut")
                let again = try await deployment.run(["audit", "pull", "--out", "\(path)/logs-cut"], as: "inspector")
                try #require(again.succeeded, "\(again.stdout) \(again.stderr)")
            } else {
                try FileManager.default.copyItem(atPath: "\(path)/logs", toPath: "\(path)/logs-cut")
            }
            let cCheckpoints = try String(contentsOfFile: "\(path)/logs-cut/cp-c.checkpoints.jsonl", encoding: .utf8)
                .split(separator: "\n").map { try AuditCheckpoint(json: StrictJSONReader().parse(Array($0.utf8))) }
            head = try #require(cCheckpoints.map(\.size).max())
            lastWitnessed = try #require(cCheckpoints.filter { !$0.witnesses.isEmpty }.map(\.size).max())
        }
        try #require(head > lastWitnessed, "every pull's head was countersigned before the pull read it")
        var cut = try String(contentsOfFile: "\(path)/logs-cut/cp-c.jsonl", encoding: .utf8).split(separator: "\n")
        cut = Array(cut.prefix(Int(head) - 1))  // still holds every countersigned checkpoint
        try (cut.joined(separator: "\n") + "\n").write(
            toFile: "\(path)/logs-cut/cp-c.jsonl", atomically: true, encoding: .utf8)
        let cutVerified = try Subprocess.run(
            deployment.consort, ["audit", "verify", "--dir", "\(path)/logs-cut", "--root", "\(path)/root.pem"])
        #expect(
            !cutVerified.succeeded && cutVerified.stdout.contains("cp-c: FAILED")
                && cutVerified.stdout.contains("truncated"), "\(cutVerified.stdout)")
        // A tampered pulled log is caught.
        var lines = try String(contentsOfFile: "\(path)/logs/cp-b.jsonl", encoding: .utf8).split(separator: "\n").map(
            String.init)
        lines.remove(at: 2)
        try (lines.joined(separator: "\n") + "\n").write(
            toFile: "\(path)/logs/cp-b.jsonl", atomically: true, encoding: .utf8)
        let tampered = try Subprocess.run(
            deployment.consort, ["audit", "verify", "--dir", "\(path)/logs", "--root", "\(path)/root.pem"])
        #expect(!tampered.succeeded && tampered.stdout.contains("cp-b: FAILED"), "\(tampered.stdout)")

        for node in deployment.nodes { try await node.expectCleanStop() }
        for member in deployment.computing {
            let actions = try await deployment.audit(member).map(\.action)
            // The client stops at the first refusal, so only cp-a (asked first) refused an output request.
            let required: [AuditAction] =
                [
                    .ctsAccepted, .inputReceived, .inputRejected, .computeStarted, .computeFinished, .dataPurged,
                    .outputReleased,
                ]
                + (member == "cp-a" ? [.outputRefused] : [])
            for action in required {
                #expect(
                    actions.contains(action), "\(member) did not log \(action.rawValue): \(actions.map(\.rawValue))")
            }
            #expect(
                !FileManager.default.fileExists(atPath: "\(path)/\(member)/tasks/\(task)/inputs"),
                "\(member) kept the input shares")
        }
    }

    @Test("a table's maxRows holds across input parties at each upload, not only when the computation starts")
    func maxRowsAtUpload() async throws {
        let deployment = try await Deployment()
        let path = deployment.path
        let text = TestSpecifications.householdIncome().replacingOccurrences(
            of: #""maxRows": 1000000"#, with: #""maxRows": 500"#)
        let (task, cts) = try await deployment.submit(text)
        let table = try #require(cts.table(named: "households"))
        for office in ["north", "south"] {
            try DataSynth.csv(table: table, rows: 300, seed: 7).write(
                toFile: "\(path)/\(office).csv", atomically: true, encoding: .utf8)
        }
        let north = try await deployment.run(
            ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/north.csv"],
            as: "north-uploader")
        #expect(north.succeeded, "\(north.stdout) \(north.stderr)")
        let south = try await deployment.run(
            ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/south.csv"],
            as: "south-uploader")
        #expect(!south.succeeded)
        #expect(
            south.stdout.components(separatedBy: "would hold 600 rows with these 300, more than its maxRows 500").count
                == 4, "\(south.stdout)")
        #expect(south.stdout.contains("nothing was uploaded"), "\(south.stdout)")
        for node in deployment.nodes { try await node.expectCleanStop() }
        for member in deployment.computing {
            // No share file is left behind for the refused upload, and the refusal is audited.
            #expect(Deployment.shareFiles(of: "nso-south", at: "\(path)/\(member)/tasks/\(task)").isEmpty)
            let rejected = try await deployment.audit(member).filter { $0.action == .inputRejected }
            #expect(rejected.contains { $0.details.contains("maxRows 500") }, "\(member)")
        }
    }

    @Test("shares dealt for another party, another task or another table are refused, naming what differs, and audited")
    func shareEnvelopes() async throws {
        let deployment = try await Deployment()
        let (task, cts) = try await deployment.submit(TestSpecifications.householdIncome())
        let table = try #require(cts.table(named: "households"))
        let csv = try DataSynth.csv(table: table, rows: 5, seed: 3)
        let data = try CSVTable.parse(csv, table: table)
        let uploader = try SigningIdentity.load(identity: "\(deployment.path)/north-uploader")
        let client = try MemberClient.load(
            identity: uploader, directory: "\(deployment.path)/directory.json",
            root: "\(deployment.path)/root.pem")
        let cpA = try MemberID("cp-a")
        func upload(_ body: [UInt8], table: String = "households") async -> NodeAnswer<UploadResponse> {
            await client.ask(
                .post, "/v1/tasks/\(task)/inputs/\(table)?batch=b1", body: body, of: cpA, as: UploadResponse.self)
        }
        let bodies = try TaskShares(task: task, cts: cts).deal(data, table: table)
        // Party 1's shares sent to cp-a (party 0).
        let wrongParty = await upload(bodies[1])
        #expect(
            wrongParty.status == 400
                && wrongParty.body.contains("the shares are for computing party 1, not 0 (this node)"),
            "\(wrongParty.line)")
        // Shares dealt for another task.
        let other = try TaskShares(task: String(repeating: "0f", count: 32), cts: cts).deal(data, table: table)
        let wrongTask = await upload(other[0])
        #expect(wrongTask.status == 400 && wrongTask.body.contains("the shares are for task 0f0f"), "\(wrongTask.line)")
        // Columns of another table, and bytes that are no envelope at all.
        var renamed = cts
        renamed.tables[0].columns[0].name = "province"
        let wrongColumns = await upload(
            try TaskShares(task: task, cts: renamed).deal(data, table: renamed.tables[0])[0])
        #expect(
            wrongColumns.status == 400 && wrongColumns.body.contains("the shares are for columns province"),
            "\(wrongColumns.line)")
        let garbage = await upload(Array("rows in the clear".utf8))
        #expect(garbage.status == 400 && garbage.body.contains("not a share envelope"), "\(garbage.line)")
        // None of them counted as an upload: the right shares are still taken, with a receipt signed by cp-a.
        let right = await upload(bodies[0])
        let nodeCertificate = try #require(right.nodeCertificate)
        #expect(right.status == 201 && right.value?.isSigned(by: nodeCertificate) == true, "\(right.line)")
        let rejected = try await deployment.audit("cp-a").filter { $0.action == .inputRejected && $0.taskID == task }
        #expect(
            rejected.count == 4 && rejected.contains { $0.details.contains("computing party 1") },
            "\(rejected.map(\.details))")
    }

    @Test(
        "ten tasks whose inputs complete together compute at the same time on one MPC port per node, each with its result"
    )
    func concurrentTasks() async throws {
        let deployment = try await Deployment()
        let path = deployment.path
        func client(_ member: String, _ name: String, _ roles: Set<InternalRole>) throws -> MemberClient {
            let identity = try deployment.consortium.user(member, name: name, roles: roles)
            return MemberClient(
                identity: identity, root: deployment.consortium.root.certificate,
                directory: try MemberDirectory.verify(
                    Array(try Data(contentsOf: URL(fileURLWithPath: "\(path)/directory.json"))),
                    root: deployment.consortium.root.certificate))
        }
        let north = try client("nso-north", "uploader", [.uploader])
        let south = try client("nso-south", "uploader", [.uploader])
        let analyst = try client("eurostat", "analyst", [.analyst])
        let submitter = MemberClient(
            identity: try #require(deployment.signers[try MemberID("nso-north")]), root: north.root,
            directory: north.directory)
        // Ten tasks (ten CTSs that differ in their deadlines), each with its own rows from both offices.
        var tasks: [(task: String, cts: ComputationTaskSpecification, north: TableData, south: TableData)] = []
        let now = Date()
        for index in 0..<10 {
            let text = TestSpecifications.householdIncome(now: now.addingTimeInterval(Double(index)))
            let signed = try deployment.signed(
                text, by: ["nso-north", "nso-south", "eurostat", "cp-a", "cp-b", "cp-c"])
            let (task, answers) = try await submitter.submit(signed.serialized())
            #expect(answers.allSatisfy { $0.succeeded }, "\(answers.map(\.line))")
            let cts = try #require(try SpecificationDocument(bytes: Array(text.utf8)).specification().0)
            let table = try #require(cts.table(named: "households"))
            tasks.append(
                (
                    task, cts,
                    try CSVTable.parse(
                        try DataSynth.csv(table: table, rows: 40, seed: UInt64(2 * index + 1)), table: table),
                    try CSVTable.parse(
                        try DataSynth.csv(table: table, rows: 30, seed: UInt64(2 * index + 2)), table: table)
                ))
        }
        for item in tasks {
            let upload = try await north.upload(item.north, task: item.task, table: "households", cts: item.cts)
            #expect(upload.complete, "\(upload.partyLines)")
        }
        // The last uploads, all at once: every node starts ten sessions together.
        let failures = try await withThrowingTaskGroup(of: Int.self) { group in
            for item in tasks {
                group.addTask {
                    try await south.upload(item.south, task: item.task, table: "households", cts: item.cts).failures
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(failures == 0)
        let deadline = ContinuousClock.now + .seconds(180)
        for item in tasks {
            while true {
                let states = try await analyst.status(task: item.task).compactMap { $0.value?.state }
                if states == [.resultsReady, .resultsReady, .resultsReady] { break }
                guard !states.contains(.aborted), ContinuousClock.now < deadline else {
                    let reasons = try await deployment.audit("cp-a").filter { $0.action == .computeAborted }.map(
                        \.details)
                    Issue.record("task \(item.task.prefix(8)) is \(states): \(reasons)")
                    return
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let result = try await analyst.result(task: item.task)
            let expected = try PlainEngine.run(try QueryChecker.check(item.cts), on: .union([item.north, item.south]))
            #expect(result.csv() == expected.csv(), "task \(item.task.prefix(8))")
        }
    }

    @Test("kill -9 of one computing party during the MPC: the others abort the task within 30 s and release nothing")
    func computingPartyKilled() async throws {
        let deployment = try await Deployment()
        let path = deployment.path
        // A query with a sort (MEDIAN) over enough rows that the MPC runs for a while.
        let text = TestSpecifications.householdIncome(
            query: "SELECT region, MEDIAN(income) AS m FROM households GROUP BY region")
        let (task, cts) = try await deployment.submit(text)
        let table = try #require(cts.table(named: "households"))
        for (office, seed) in [("north", UInt64(1)), ("south", 2)] {
            try DataSynth.csv(table: table, rows: 30_000, seed: seed).write(
                toFile: "\(path)/\(office).csv", atomically: true, encoding: .utf8)
            let uploaded = try await deployment.run(
                ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/\(office).csv"],
                as: "\(office)-uploader")
            try #require(uploaded.succeeded, "\(uploaded.stdout)")
        }
        // Kill cp-c as soon as it reports computing.
        let computingDeadline = ContinuousClock.now + .seconds(30)
        while !(try await deployment.run(["task", "status", task], as: "analyst")).stdout.contains(": computing") {
            guard ContinuousClock.now < computingDeadline else { Issue.record("the computation never started"); return }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(deployment.nodes[2].process.processIdentifier, SIGKILL)
        let killedAt = ContinuousClock.now
        var status = ""
        while ContinuousClock.now - killedAt < .seconds(30) {
            let output = try await deployment.run(["task", "status", task], as: "analyst")
            status = output.stdout + output.stderr
            if status.components(separatedBy: ": aborted").count == 3 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let elapsed = ContinuousClock.now - killedAt
        #expect(status.components(separatedBy: ": aborted").count == 3, "after \(elapsed): \(status)")
        #expect(elapsed < .seconds(30))
        let fetched = try await deployment.run(["output", "fetch", "--task", task], as: "analyst")
        #expect(!fetched.succeeded, "an aborted task released output: \(fetched.stdout)")
        for node in deployment.nodes.prefix(2) { try await node.expectCleanStop() }
        for member in ["cp-a", "cp-b"] {
            let entries = try await deployment.audit(member)
            #expect(entries.contains { $0.action == .computeAborted }, "\(member): \(entries.map(\.action.rawValue))")
            #expect(!entries.contains { $0.action == .outputReleased })
            // The log still verifies after the failure.
            let chain = try PEMFiles.readCertificates("\(path)/\(member)-node.pem")
            let verifier = try await AuditVerifier.forNode(
                chain: chain, root: deployment.consortium.root.certificate, at: Date())
            if case .failure(let failure) = await verifier.verify(entries: entries, checkpoints: []) {
                Issue.record("\(member)'s audit log does not verify: \(failure.message)")
            }
        }
    }

    @Test(
        "a node that is not a computing party of the task cannot join its MPC session: refused at the MPC listener, audited"
    )
    func foreignNodeJoiningMPC() async throws {
        // cp-c stays down, so cp-a and cp-b hold their session open waiting for it.
        let deployment = try await Deployment(started: ["cp-a", "cp-b"])
        let path = deployment.path
        let text = TestSpecifications.householdIncome()
        let signed = try deployment.signed(text, by: ["nso-north", "nso-south", "eurostat", "cp-a", "cp-b", "cp-c"])
        try Data(signed.serialized()).write(to: URL(fileURLWithPath: "\(path)/task.json"))
        try deployment.signers[try MemberID("nso-north")]!.write(directory: path, name: "north-signer")
        for office in ["north", "south"] {
            try deployment.consortium.user("nso-\(office)", name: "uploader", roles: [.uploader]).write(
                directory: path, name: "\(office)-uploader")
        }
        let submitted = try await deployment.run(["task", "submit", "\(path)/task.json"], as: "north-signer")
        #expect(submitted.stdout.components(separatedBy: ": accepted").count == 3, "\(submitted.stdout)")
        let task = signed.taskID
        let cts = try #require(try SpecificationDocument(bytes: Array(text.utf8)).specification().0)
        for (office, seed) in [("north", UInt64(9)), ("south", 10)] {
            try DataSynth.csv(table: try #require(cts.table(named: "households")), rows: 20, seed: seed)
                .write(toFile: "\(path)/\(office).csv", atomically: true, encoding: .utf8)
            let uploaded = try await deployment.run(
                ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/\(office).csv"],
                as: "\(office)-uploader")
            #expect(
                uploaded.stdout.components(separatedBy: "receipt signed by its node").count == 3, "\(uploaded.stdout)")
        }
        // cp-b (party 1) listens for party 0 once its inputs are complete.
        let listening = ContinuousClock.now + .seconds(20)
        while !FreePort.accepts(deployment.ports[1] + 1) {
            guard ContinuousClock.now < listening else { Issue.record("cp-b never opened its MPC listener"); return }
            try await Task.sleep(for: .milliseconds(50))
        }
        // nso-north's node — a genuine certificate under the operator root, but not a computing party of this task —
        // claims party 0's seat.
        let intruder = try deployment.consortium.node("nso-north")
        var configuration = MPCTLSTransport.Configuration(
            party: 0,
            peers: [
                .init(
                    party: 0, member: try MemberID("nso-north"), host: "127.0.0.1",
                    port: try FreePort.loopback(count: 1)[0]),
                .init(party: 1, member: try MemberID("cp-b"), host: "127.0.0.1", port: deployment.ports[1] + 1),
                .init(party: 2, member: try MemberID("cp-c"), host: "127.0.0.1", port: try FreePort.loopback()),
            ],
            session: Array(try #require(Hex.decode(task)).prefix(16)),
            authentication: TLSPeerAuthentication(
                identity: intruder, verifier: ConsortVerifier(root: deployment.consortium.root.certificate))
        )
        // cp-b checks the seat at the intruder's hello against the task (live there), whether or not the session is
        // under way, and refuses it at once.
        configuration.connectTimeout = .seconds(3)
        await #expect(throws: MPCError.self) { _ = try await MPCTLSTransport.establish(configuration) }

        for node in deployment.nodes { try await node.expectCleanStop() }
        let refusals = try await deployment.audit("cp-b").filter { $0.action == .requestDenied && $0.taskID == task }
        #expect(
            refusals.contains { $0.details.contains("MPC connection") && $0.details.contains("nso-north") },
            "\(refusals.map(\.details))")
        #expect(!(try await deployment.audit("cp-b")).contains { $0.action == .computeFinished })
    }

    @Test(
        "the compute deadline: a session still running when it passes is cancelled; the task expires on the nodes, no output"
    )
    func computeDeadline() async throws {
        // Inputs due in 25 s (two uploads of 20,000 rows under the whole suite's load), the computation 4 s after
        // that; cp-c freezes mid-session, so only the deadline ends it (the round timeout is 30 s, and the nodes wait
        // 60 s for a silent peer's heartbeat here).
        let deployment = try await Deployment { _, configuration in configuration.silenceLimitSeconds = 60 }
        let path = deployment.path
        let text = TestSpecifications.householdIncome(
            query: "SELECT region, MEDIAN(income) AS m FROM households GROUP BY region",
            deadlines: (25, 29, 86_400))
        let (task, cts) = try await deployment.submit(text)
        for (office, seed) in [("north", UInt64(11)), ("south", 12)] {
            try DataSynth.csv(table: try #require(cts.table(named: "households")), rows: 20_000, seed: seed)
                .write(toFile: "\(path)/\(office).csv", atomically: true, encoding: .utf8)
            let uploaded = try await deployment.run(
                ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/\(office).csv"],
                as: "\(office)-uploader")
            try #require(uploaded.succeeded, "\(uploaded.stdout)")
        }
        while !(try await deployment.run(["task", "status", task], as: "analyst")).stdout.contains(": computing") {
            guard Date() < cts.deadlines.compute else { Issue.record("the computation never started"); return }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(deployment.nodes[2].process.processIdentifier, SIGSTOP)
        defer { kill(deployment.nodes[2].process.processIdentifier, SIGKILL) }
        let until = cts.deadlines.compute.addingTimeInterval(10)
        var status = ""
        while Date() < until {
            // Only the two running nodes: a stopped node accepts connections but never answers.
            let output = try await deployment.run(
                ["task", "status", task, "--node", "cp-a", "--node", "cp-b"], as: "analyst")
            status = output.stdout
            if status.components(separatedBy: ": expired").count == 3 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(status.components(separatedBy: ": expired").count == 3, "\(status)")
        // The client gives up on the stopped node within its deadline instead of hanging.
        let stalled = try await deployment.run(["task", "status", task, "--node", "cp-c"], as: "analyst")
        #expect(!stalled.succeeded && stalled.stdout.contains("did not answer within"), "\(stalled.stdout)")
        let fetched = try await deployment.run(["output", "fetch", "--task", task], as: "analyst")
        #expect(!fetched.succeeded && fetched.stderr.contains("expired"), "\(fetched.stderr)")
        for node in deployment.nodes.prefix(2) { try await node.expectCleanStop() }
        for member in ["cp-a", "cp-b"] {
            let entries = try await deployment.audit(member)
            #expect(
                entries.contains { $0.action == .taskExpired && $0.details.contains("compute") },
                "\(member): \(entries.map(\.action.rawValue))")
            #expect(!entries.contains { $0.action == .computeFinished || $0.action == .outputReleased })
            #expect(
                !FileManager.default.fileExists(atPath: "\(path)/\(member)/tasks/\(task)/inputs"),
                "\(member) kept the inputs")
        }
    }

    @Test(
        "a signed halt by a mayHalt member stops the task on every node, deletes its data and blocks its output; others may not halt"
    )
    func halt() async throws {
        let deployment = try await Deployment()
        let path = deployment.path
        let signed = try deployment.signed(
            TestSpecifications.householdIncome(), by: ["nso-north", "nso-south", "eurostat", "cp-a", "cp-b", "cp-c"])
        try Data(signed.serialized()).write(to: URL(fileURLWithPath: "\(path)/task.json"))
        for id in ["nso-north", "nso-south", "eurostat"] {
            try deployment.signers[try MemberID(id)]!.write(directory: path, name: "\(id)-signer")
        }
        try deployment.consortium.user("nso-north", name: "uploader", roles: [.uploader]).write(
            directory: path, name: "north-uploader")
        try deployment.consortium.user("eurostat", name: "analyst", roles: [.analyst]).write(
            directory: path, name: "analyst")
        try #require(
            try await deployment.run(["task", "submit", "\(path)/task.json"], as: "nso-north-signer").succeeded)
        let task = signed.taskID
        let cts = try #require(
            try SpecificationDocument(bytes: Array(TestSpecifications.householdIncome().utf8)).specification().0)
        try DataSynth.csv(table: try #require(cts.table(named: "households")), rows: 100, seed: 3).write(
            toFile: "\(path)/north.csv", atomically: true, encoding: .utf8)
        try #require(
            try await deployment.run(
                ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/north.csv"],
                as: "north-uploader"
            ).succeeded)

        // A validly signed halt whose statement is not JSON, and a body that is no JWS: 400 with the reason, audited.
        let southSigner = try #require(deployment.signers[try MemberID("nso-south")])
        var garbled = MultiSignatureJWS(payload: Array("halt, please".utf8))
        try garbled.sign(as: southSigner, member: try MemberID("nso-south"))
        let client = try MemberClient.load(
            identity: southSigner, directory: "\(path)/directory.json", root: "\(path)/root.pem")
        for (body, reason) in [
            (garbled.serialized(), "not acceptable JSON"), (Array("{]".utf8), "not a signed statement"),
        ] {
            let answer = await client.ask(
                .post, "/v1/tasks/\(task)/halt", body: body, of: try MemberID("cp-b"), as: HaltResponse.self)
            #expect(
                answer.status == 400 && answer.body.contains(reason)
                    && answer.body.contains(#""error":"invalidRequest""#), "\(answer.line)")
        }

        let refused = try await deployment.run(
            ["task", "halt", task, "--reason", "we changed our mind"], as: "eurostat-signer")
        #expect(
            !refused.succeeded && refused.stdout.components(separatedBy: "eurostat may not halt").count == 4,
            "\(refused.stdout) \(refused.stderr)")
        let halted = try await deployment.run(
            ["task", "halt", task, "--reason", "wrong survey year"], as: "nso-south-signer")
        #expect(
            halted.succeeded && halted.stdout.components(separatedBy: ": halted").count == 4,
            "\(halted.stdout) \(halted.stderr)")
        let status = try await deployment.run(["task", "status", task], as: "analyst")
        #expect(status.stdout.components(separatedBy: ": halted").count == 4, "\(status.stdout)")
        let output = try await deployment.run(["output", "fetch", "--task", task], as: "analyst")
        #expect(!output.succeeded)
        let again = try await deployment.run(["task", "halt", task, "--reason", "twice"], as: "nso-south-signer")
        #expect(!again.succeeded && again.stdout.contains("409"), "\(again.stdout)")

        for node in deployment.nodes { try await node.expectCleanStop() }
        for member in deployment.computing {
            #expect(
                !FileManager.default.fileExists(atPath: "\(path)/\(member)/tasks/\(task)"),
                "\(member) kept the halted task's data")
            let entries = try await deployment.audit(member)
            #expect(
                entries.contains {
                    $0.action == .taskHalted && $0.details.contains("nso-south")
                        && $0.details.contains("wrong survey year")
                })
            #expect(entries.contains { $0.action == .ctsRejected && $0.details.contains("eurostat may not halt") })
            #expect(entries.contains { $0.action == .dataPurged })
        }
    }

    @Test(
        "the input deadline: a late upload is refused; the deadline watcher expires the task and purges what was uploaded"
    )
    func inputDeadline() async throws {
        let deployment = try await Deployment()
        let path = deployment.path
        // Input deadline 10 s from now (the others a day later): time to submit and upload once on a loaded machine.
        let text = TestSpecifications.householdIncome(deadlines: (10, 86_400, 2 * 86_400))
        let signed = try deployment.signed(text, by: ["nso-north", "nso-south", "eurostat", "cp-a", "cp-b", "cp-c"])
        try Data(signed.serialized()).write(to: URL(fileURLWithPath: "\(path)/task.json"))
        try deployment.signers[try MemberID("nso-north")]!.write(directory: path, name: "north-signer")
        try deployment.consortium.user("nso-north", name: "uploader", roles: [.uploader]).write(
            directory: path, name: "north-uploader")
        try deployment.consortium.user("nso-south", name: "uploader", roles: [.uploader]).write(
            directory: path, name: "south-uploader")
        let submitted = try await deployment.run(["task", "submit", "\(path)/task.json"], as: "north-signer")
        try #require(submitted.succeeded, "\(submitted.stdout)")
        let task = signed.taskID
        let cts = try #require(try SpecificationDocument(bytes: Array(text.utf8)).specification().0)
        try DataSynth.csv(table: try #require(cts.table(named: "households")), rows: 10, seed: 4).write(
            toFile: "\(path)/rows.csv", atomically: true, encoding: .utf8)
        let onTime = try await deployment.run(
            ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/rows.csv"],
            as: "north-uploader")
        try #require(onTime.succeeded, "\(onTime.stdout)")
        for member in deployment.computing {
            #expect(Deployment.shareFiles(of: "nso-north", at: "\(path)/\(member)/tasks/\(task)").count == 1)
        }
        // Wait until the input deadline (whole seconds in the CTS) has passed.
        let wait = cts.deadlines.inputs.timeIntervalSinceNow + 1.5
        if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
        let late = try await deployment.run(
            ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/rows.csv"],
            as: "south-uploader")
        #expect(
            !late.succeeded && late.stdout.components(separatedBy: "refused (422)").count == 4
                && late.stdout.contains("input deadline"), "\(late.stdout)")
        // The watcher (one pass a second) expires the task everywhere.
        let until = ContinuousClock.now + .seconds(10)
        var status = try await deployment.run(["task", "status", task], as: "north-uploader").stdout
        while status.components(separatedBy: ": expired").count < 4, ContinuousClock.now < until {
            try await Task.sleep(for: .milliseconds(200))
            status = try await deployment.run(["task", "status", task], as: "north-uploader").stdout
        }
        #expect(status.components(separatedBy: ": expired").count == 4, "\(status)")
        for node in deployment.nodes { try await node.expectCleanStop() }
        for member in deployment.computing {
            #expect(
                !FileManager.default.fileExists(atPath: "\(path)/\(member)/tasks/\(task)"),
                "\(member) kept the expired task's data")
            let entries = try await deployment.audit(member)
            #expect(entries.contains { $0.action == .inputRejected && $0.details.contains("deadline") }, "\(member)")
            #expect(
                entries.contains { $0.action == .taskExpired && $0.details.contains("nso-south/households") },
                "\(member)")
            #expect(entries.contains { $0.action == .dataPurged && $0.details.contains("expired") }, "\(member)")
        }
    }

    @Test(
        "retention purge-after-outputs: inputs stay after the computation; at the output deadline every node deletes all task data"
    )
    func outputDeadline() async throws {
        let deployment = try await Deployment()
        let path = deployment.path
        let text = TestSpecifications.householdIncome(deadlines: (20, 45, 50), retention: .purgeAfterOutputs)
        let (task, cts) = try await deployment.submit(text)
        for (office, seed) in [("north", UInt64(7)), ("south", 8)] {
            try DataSynth.csv(table: try #require(cts.table(named: "households")), rows: 50, seed: seed)
                .write(toFile: "\(path)/\(office).csv", atomically: true, encoding: .utf8)
            let uploaded = try await deployment.run(
                ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/\(office).csv"],
                as: "\(office)-uploader")
            try #require(uploaded.succeeded, "\(uploaded.stdout)")
        }
        var status = ""
        while status.components(separatedBy: "results-ready").count < 4 {
            guard Date() < cts.deadlines.compute, !status.contains("aborted") else {
                for node in deployment.nodes { _ = try await node.stop() }
                let reasons = try await deployment.audit("cp-a").filter { $0.action == .computeAborted }.map(\.details)
                Issue.record("no result: \(status); cp-a's abort reasons: \(reasons)")
                return
            }
            try await Task.sleep(for: .milliseconds(200))
            status = try await deployment.run(["task", "status", task], as: "analyst").stdout
        }
        for member in deployment.computing {
            #expect(
                Deployment.shareFiles(of: "nso-south", at: "\(path)/\(member)/tasks/\(task)").count == 1,
                "\(member) purged the inputs before the output deadline")
        }
        // The only output party fetches: the task is complete, and the result can be fetched again until the deadline.
        try #require(try await deployment.run(["output", "fetch", "--task", task], as: "analyst").succeeded)
        #expect(
            try await deployment.run(["task", "status", task], as: "analyst").stdout.components(
                separatedBy: ": completed"
            ).count == 4)
        #expect(try await deployment.run(["output", "fetch", "--task", task], as: "analyst").succeeded)

        let wait = cts.deadlines.outputs.timeIntervalSinceNow + 1.5
        if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
        let until = ContinuousClock.now + .seconds(10)
        while try await deployment.run(["task", "status", task], as: "analyst").stdout.components(
            separatedBy: ": purged"
        ).count < 4 {
            guard ContinuousClock.now < until else {
                Issue.record("the task was not purged after its output deadline"); break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let late = try await deployment.run(["output", "fetch", "--task", task], as: "analyst")
        #expect(!late.succeeded && late.stderr.contains("output deadline"), "\(late.stdout) \(late.stderr)")
        for node in deployment.nodes { try await node.expectCleanStop() }
        for member in deployment.computing {
            #expect(
                !FileManager.default.fileExists(atPath: "\(path)/\(member)/tasks/\(task)"),
                "\(member) kept the task's data")
            let entries = try await deployment.audit(member)
            #expect(
                entries.contains { $0.action == .dataPurged && $0.details.contains("output deadline") }, "\(member)")
            #expect(
                entries.filter { $0.action == .taskStateChanged }.map(\.details).contains { $0.contains("purged") },
                "\(member)")
        }
    }

    @Test(
        "end to end with every node's audit trail in PostgreSQL",
        .enabled(if: TestPostgres.canRun, TestPostgres.skipReason))
    func endToEndOnPostgres() async throws {
        _ = try TestPostgres.requireURL()
        try await TestPostgres.withDatabase { a in
            try await TestPostgres.withDatabase { b in
                try await TestPostgres.withDatabase { c in
                    let deployment = try await Deployment(stores: [a, b, c])
                    let path = deployment.path
                    let (task, cts) = try await deployment.submit(TestSpecifications.householdIncome())
                    try deployment.consortium.user("auditor", name: "inspector", roles: [.auditor]).write(
                        directory: path, name: "inspector")
                    let table = try #require(cts.table(named: "households"))
                    var parts: [TableData] = []
                    for (office, seed) in [("north", UInt64(5)), ("south", 6)] {
                        let csv = try DataSynth.csv(table: table, rows: 250, seed: seed)
                        try csv.write(toFile: "\(path)/\(office).csv", atomically: true, encoding: .utf8)
                        parts.append(try CSVTable.parse(csv, table: table))
                        let uploaded = try await deployment.run(
                            [
                                "input", "upload", "--task", task, "--table", "households", "--csv",
                                "\(path)/\(office).csv",
                            ],
                            as: "\(office)-uploader")
                        try #require(uploaded.succeeded, "\(uploaded.stdout)")
                    }
                    let deadline = ContinuousClock.now + .seconds(120)
                    while try await deployment.run(["task", "status", task], as: "analyst").stdout.components(
                        separatedBy: "results-ready"
                    ).count < 4 {
                        guard ContinuousClock.now < deadline else { Issue.record("no result within 120 s"); return }
                        try await Task.sleep(for: .milliseconds(200))
                    }
                    let fetched = try await deployment.run(
                        ["output", "fetch", "--task", task, "--format", "csv"], as: "analyst")
                    #expect(
                        fetched.stdout == (try PlainEngine.run(try QueryChecker.check(cts), on: .union(parts))).csv(),
                        "\(fetched.stdout) \(fetched.stderr)")
                    try #require(
                        try await deployment.run(["audit", "pull", "--out", "\(path)/logs"], as: "inspector").succeeded)
                    let verified = try Subprocess.run(
                        deployment.consort, ["audit", "verify", "--dir", "\(path)/logs", "--root", "\(path)/root.pem"])
                    #expect(verified.succeeded, "\(verified.stdout)")
                    for node in deployment.nodes { try await node.expectCleanStop() }
                    for member in deployment.computing {
                        let actions = try await deployment.audit(member).map(\.action)
                        #expect(
                            actions.contains(.computeFinished) && actions.contains(.outputReleased),
                            "\(member): \(actions)")
                    }
                }
            }
        }
    }
}
