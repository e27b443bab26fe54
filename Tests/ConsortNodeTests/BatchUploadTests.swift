import ConsortAudit
import ConsortClient
import ConsortNode
import ConsortPKI
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

/// An input party's rows in several batches: the computation waits for every party's final batch, maxRows holds
/// across batches, a retried batch never adds its rows twice, and no batch is taken after a final one.
@Suite("Uploads in batches", .serialized)
struct BatchUploadTests {
    @Test("2,500 rows in 3 batches and 1,300 in 2 through the CLI: nothing computes before the last final batch")
    func batchesThroughTheCLI() async throws {
        let deployment = try await TaskSubmissionTests.Deployment()
        let path = deployment.path
        let (task, cts) = try await deployment.submit(TestSpecifications.householdIncome())
        let table = try #require(cts.table(named: "households"))
        var parts: [TableData] = []
        for (office, rows, seed) in [("north", 2500, UInt64(1)), ("south", 1300, 2)] {
            let csv = try DataSynth.csv(table: table, rows: rows, seed: seed)
            try csv.write(toFile: "\(path)/\(office).csv", atomically: true, encoding: .utf8)
            parts.append(try CSVTable.parse(csv, table: table))
        }
        func upload(_ office: String) async throws -> Subprocess.Output {
            try await deployment.run(
                [
                    "input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/\(office).csv",
                    "--batch-rows", "1000",
                ], as: "\(office)-uploader")
        }
        let north = try await upload("north")
        #expect(
            north.succeeded && north.stdout.contains("uploaded 2500 rows of 'households' as 3 batches")
                && north.stdout.components(separatedBy: "took 2500 rows in 3 batches").count == 4,
            "\(north.stdout) \(north.stderr)")
        // North's final batch is in, south's is not: every node waits.
        let waiting = try await deployment.run(["task", "status", task], as: "analyst")
        #expect(waiting.stdout.components(separatedBy: "collecting-inputs").count == 4, "\(waiting.stdout)")
        // The same command again sends nothing: every party holds every batch.
        let again = try await upload("north")
        #expect(
            again.succeeded
                && again.stdout.components(separatedBy: "took 3 batches earlier (receipts kept)").count == 4,
            "\(again.stdout)")
        let south = try await upload("south")
        #expect(south.succeeded, "\(south.stdout) \(south.stderr)")

        try await deployment.expectResult(task, cts, on: parts)
        for node in deployment.nodes { try await node.expectCleanStop() }
        for member in deployment.computing {
            // Five batches taken by each node, two of them final; none twice.
            let received = try await deployment.audit(member).filter { $0.action == .inputReceived }
            #expect(received.count == 5, "\(member): \(received.map(\.details))")
            #expect(received.filter { $0.details.contains(#""final":true"#) }.count == 2, "\(member)")
        }
    }

    @Test(
        "a retried batch gets its receipt again and adds no row; other bytes under its id, rows beyond maxRows, a batch after the final one and bad parameters are refused"
    )
    func batchRules() async throws {
        let deployment = try await TaskSubmissionTests.Deployment()
        let path = deployment.path
        let text = TestSpecifications.householdIncome().replacingOccurrences(
            of: #""maxRows": 1000000"#, with: #""maxRows": 12"#)
        let (task, cts) = try await deployment.submit(text)
        let table = try #require(cts.table(named: "households"))
        let client = try MemberClient.load(
            identity: try SigningIdentity.load(identity: "\(path)/north-uploader"),
            directory: "\(path)/directory.json", root: "\(path)/root.pem")
        let shares = try TaskShares(task: task, cts: cts)
        let cpA = try MemberID("cp-a")
        /// cp-a's envelope of `rows` synthetic rows.
        func body(_ rows: Int, seed: UInt64) throws -> [UInt8] {
            try shares.deal(
                try CSVTable.parse(try DataSynth.csv(table: table, rows: rows, seed: seed), table: table), table: table
            )[0]
        }
        func send(_ body: [UInt8], _ query: String) async -> NodeAnswer<UploadResponse> {
            await client.ask(
                .post, "/v1/tasks/\(task)/inputs/households?\(query)", body: body, of: cpA, as: UploadResponse.self)
        }
        func expectRefusal(_ answer: NodeAnswer<UploadResponse>, _ status: Int, _ reason: String) {
            #expect(answer.status == status && answer.body.contains(reason), "\(answer.line)")
        }

        let first = try body(5, seed: 1)
        let taken = await send(first, "batch=b-1&final=false")
        let receipt = try #require(taken.value?.receipt, "\(taken.line)")
        #expect(receipt.rows == 5 && !receipt.final && receipt.batch == "b-1")
        // A retry of the same batch: the same receipt, no rows added (the maxRows arithmetic below counts 5 once).
        let retried = await send(first, "batch=b-1&final=false")
        #expect(retried.value?.receipt == receipt, "\(retried.line)")
        expectRefusal(
            await send(try body(5, seed: 2), "batch=b-1&final=false"), 409,
            "has already uploaded batch b-1 of table 'households'")
        expectRefusal(await send(first, "batch=b-1"), 409, "has already uploaded batch b-1")
        #expect(await send(try body(5, seed: 3), "batch=b-2&final=false").succeeded)
        expectRefusal(
            await send(try body(5, seed: 4), "batch=b-3"), 409,
            "would hold 15 rows with these 5, more than its maxRows 12")
        let last = await send(try body(2, seed: 5), "batch=b-3")
        #expect(last.value?.receipt.final == true && last.value?.receipt.rows == 2, "\(last.line)")
        expectRefusal(
            await send(try body(0, seed: 6), "batch=b-4"), 409,
            "nso-north has already sent its final batch of table 'households' of task \(cts.id) (batch b-3)")
        expectRefusal(await send(try body(1, seed: 7), "batch=../b-5"), 400, "give a batch id of 1 to 64 letters")
        expectRefusal(await send(try body(1, seed: 7), "batch=b-5&final=maybe"), 400, "final must be true or false")

        // South has sent nothing, so cp-a waits; it keeps exactly the three batches it took.
        let status = try await deployment.run(["task", "status", task], as: "analyst")
        #expect(status.stdout.contains("collecting-inputs"), "\(status.stdout)")
        #expect(TaskSubmissionTests.Deployment.shareFiles(of: "nso-north", at: "\(path)/cp-a/tasks/\(task)").count == 3)
        for node in deployment.nodes { try await node.expectCleanStop() }
        let audit = try await deployment.audit("cp-a")
        #expect(audit.filter { $0.action == .inputReceived }.count == 4)
        #expect(audit.filter { $0.action == .inputReceived && $0.details.contains(#""repeated":true"#) }.count == 1)
        #expect(audit.filter { $0.action == .inputRejected }.count == 6)
    }
}
