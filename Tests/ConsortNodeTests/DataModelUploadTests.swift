import ConsortAudit
import ConsortClient
import ConsortNode
import ConsortPKI
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

/// An input party that bypasses the client and uploads shares of values outside the CTS's data model cannot
/// corrupt the result: the computing parties check the data model on the shares and abort, saying which column.
@Suite("Crafted shares outside the data model")
struct DataModelUploadTests {
    @Test("crafted out-of-range shares abort the task on every node, named in the audit log; nothing is released")
    func craftedShares() async throws {
        let deployment = try await TaskSubmissionTests.Deployment()
        let path = deployment.path
        let (task, cts) = try await deployment.submit(TestSpecifications.householdIncome())
        let table = try #require(cts.table(named: "households"))
        try DataSynth.csv(table: table, rows: 200, seed: 1).write(
            toFile: "\(path)/north.csv", atomically: true, encoding: .utf8)
        let north = try await deployment.run(
            ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/north.csv"],
            as: "north-uploader")
        try #require(north.succeeded, "\(north.stdout) \(north.stderr)")

        // nso-south deals its own shares, with one income of 10^13 (the CTS allows at most 10^7).
        var data = try CSVTable.parse(try DataSynth.csv(table: table, rows: 150, seed: 2), table: table)
        data.columns[2][42] = 1_000_000_000_000_000
        let bodies = try TaskShares(task: task, cts: cts).deal(data, table: table)
        let client = try MemberClient.load(
            identity: try SigningIdentity.load(identity: "\(path)/south-uploader"),
            directory: "\(path)/directory.json", root: "\(path)/root.pem")
        for (party, member) in deployment.computing.enumerated() {
            let answer = await client.ask(
                .post, "/v1/tasks/\(task)/inputs/households?batch=crafted", body: bodies[party],
                of: try MemberID(member), as: UploadResponse.self)
            #expect(answer.status == 201, "\(answer.line)")
        }
        var status = ""
        let until = ContinuousClock.now + .seconds(90)
        while ContinuousClock.now < until {
            status = try await deployment.run(["task", "status", "--task", task], as: "analyst").stdout
            if status.components(separatedBy: ": aborted").count == 4 { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(status.components(separatedBy: ": aborted").count == 4, "\(status)")
        let fetched = try await deployment.run(["output", "fetch", "--task", task], as: "analyst")
        #expect(!fetched.succeeded, "\(fetched.stdout)")
        for node in deployment.nodes { try await node.expectCleanStop() }
        for member in deployment.computing {
            let aborted = try await deployment.audit(member).filter {
                $0.action == .computeAborted && $0.taskID == task
            }
            #expect(
                aborted.contains {
                    $0.details.contains("outside the CTS's data model")
                        && $0.details.contains("column 'income' must be")
                }, "\(member): \(aborted.map(\.details))")
        }
    }
}
