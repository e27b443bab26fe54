import ConsortAudit
import ConsortClient
import ConsortNode
import ConsortPKI
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A node that was down when its task ended at the other computing parties learns it from them when it is back, and
/// purges what the retention rule says.
@Suite("Reconciliation with the other computing parties")
struct ReconciliationTests {
    @Test("the last input reaches one node long after the others: they wait for it, and the task completes everywhere")
    func lateLastInput() async throws {
        // Sessions give a peer 3 s to connect here; cp-c gets nso-south's input 8 s after cp-a and cp-b (before, those
        // two gave up on cp-c and aborted the task).
        let deployment = try await TaskSubmissionTests.Deployment { _, configuration in
            configuration.sessionConnectSeconds = 3
        }
        let path = deployment.path
        let (task, cts) = try await deployment.submit(TestSpecifications.householdIncome())
        let table = try #require(cts.table(named: "households"))
        let north = try DataSynth.csv(table: table, rows: 120, seed: 3)
        let south = try DataSynth.csv(table: table, rows: 80, seed: 4)
        try north.write(toFile: "\(path)/north.csv", atomically: true, encoding: .utf8)
        let uploaded = try await deployment.run(
            ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/north.csv"],
            as: "north-uploader")
        try #require(uploaded.succeeded, "\(uploaded.stdout) \(uploaded.stderr)")

        let bodies = try TaskShares(task: task, cts: cts).deal(try CSVTable.parse(south, table: table), table: table)
        let client = try MemberClient.load(
            identity: try SigningIdentity.load(identity: "\(path)/south-uploader"),
            directory: "\(path)/directory.json", root: "\(path)/root.pem")
        func upload(to party: Int) async throws {
            let answer = await client.ask(
                .post, "/v1/tasks/\(task)/inputs/households?batch=late", body: bodies[party],
                of: try MemberID(deployment.computing[party]), as: UploadResponse.self)
            #expect(answer.status == 201, "\(answer.line)")
        }
        try await upload(to: 0)
        try await upload(to: 1)
        try await Task.sleep(for: .seconds(8))
        let waiting = try await deployment.run(["task", "status", task], as: "analyst").stdout
        #expect(
            waiting.contains("cp-a: computing") && waiting.contains("cp-b: computing")
                && waiting.contains("cp-c: collecting-inputs"), "\(waiting)")
        try await upload(to: 2)

        var status = ""
        try await Eventually.wait("the task did not complete on every node", within: 120) {
            status = try await deployment.run(["task", "status", task], as: "analyst").stdout
            return status.components(separatedBy: "results-ready").count == 4 || status.contains("aborted")
        }
        #expect(status.components(separatedBy: "results-ready").count == 4, "\(status)")
        let fetched = try await deployment.run(["output", "fetch", "--task", task, "--format", "csv"], as: "analyst")
        let expected = try PlainEngine.run(
            try QueryChecker.check(cts),
            on: .union([try CSVTable.parse(north, table: table), try CSVTable.parse(south, table: table)]))
        #expect(fetched.stdout == expected.csv(), "\(fetched.stdout) \(fetched.stderr)")
        for node in deployment.nodes { try await node.expectCleanStop() }
    }

    @Test("a node killed with inputs on disk, restarted after its peers aborted the task, aborts it and purges them")
    func restartedAfterPeersAborted() async throws {
        let deployment = try await TaskSubmissionTests.Deployment()
        let path = deployment.path
        let (task, cts) = try await deployment.submit(TestSpecifications.householdIncome())
        let table = try #require(cts.table(named: "households"))
        try DataSynth.csv(table: table, rows: 100, seed: 1).write(
            toFile: "\(path)/north.csv", atomically: true, encoding: .utf8)
        try DataSynth.csv(table: table, rows: 100, seed: 2).write(
            toFile: "\(path)/south.csv", atomically: true, encoding: .utf8)
        let north = try await deployment.run(
            ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/north.csv"],
            as: "north-uploader")
        try #require(north.succeeded, "\(north.stdout) \(north.stderr)")
        let cDirectory = "\(path)/cp-c/tasks/\(task)"
        #expect(TaskSubmissionTests.Deployment.shareFiles(of: "nso-north", at: cDirectory).count == 1)

        // cp-c dies; the last input reaches cp-a and cp-b, which start the computation and abort it without cp-c.
        kill(deployment.nodes[2].process.processIdentifier, SIGKILL)
        deployment.nodes[2].process.waitUntilExit()
        let south = try await deployment.run(
            ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/south.csv"],
            as: "south-uploader")
        #expect(!south.succeeded && south.stdout.contains("cp-c"), "\(south.stdout) \(south.stderr)")
        for member in ["cp-a", "cp-b"] {
            try await Eventually.wait("\(member) did not abort the task without cp-c") {
                try await deployment.audit(member).contains { $0.action == .computeAborted && $0.taskID == task }
            }
        }

        // Back up, cp-c still holds the task live with nso-north's shares; its first reconciliation pass ends that.
        let restarted = try TestNodeProcess(configuration: "\(path)/cp-c.json", port: deployment.ports[2])
        deployment.nodes[2] = restarted
        try await restarted.waitUntilListening()
        try await Eventually.wait("cp-c did not follow its peers' abort") {
            try await deployment.audit("cp-c").contains {
                $0.action == .computeAborted && $0.taskID == task && $0.details.contains("reportedBy")
            }
        }
        #expect(TaskSubmissionTests.Deployment.shareFiles(of: "nso-north", at: cDirectory).isEmpty)
        let status = try await deployment.run(["task", "status", task], as: "north-signer")
        #expect(status.stdout.components(separatedBy: ": aborted").count == 4, "\(status.stdout)")
        for node in deployment.nodes { try await node.expectCleanStop() }
        let entries = try await deployment.audit("cp-c").filter { $0.taskID == task }
        #expect(
            entries.contains { $0.action == .dataPurged && $0.details.contains("aborted") },
            "\(entries.map(\.action))")
    }
}
