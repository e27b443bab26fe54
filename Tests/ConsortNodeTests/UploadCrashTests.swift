import ConsortNode
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A node killed with SIGKILL in the middle of taking an upload loses nothing: the input party runs the same command
/// again, the same batch completes, and the task computes the right result.
@Suite("Uploads survive a node killed mid-upload", .serialized)
struct UploadCrashTests {
    @Test(
        "kill -9 before the shares are written, between shares and record, and after the record: a retry completes",
        arguments: ["upload.before-shares", "upload.after-shares", "upload.after-record"])
    func crashDuringUpload(at point: String) async throws {
        let deployment = try await TaskSubmissionTests.Deployment(started: ["cp-b", "cp-c"])
        let path = deployment.path
        let crashing = try TestNodeProcess(
            configuration: "\(path)/cp-a.json", port: deployment.ports[0], environment: ["CONSORT_TEST_CRASH_AT": point]
        )
        try await crashing.waitUntilListening()
        deployment.nodes.insert(crashing, at: 0)

        let (task, cts) = try await deployment.submit(TestSpecifications.householdIncome())
        let table = try #require(cts.table(named: "households"))
        var parts: [TableData] = []
        for (office, seed) in [("north", UInt64(1)), ("south", 2)] {
            let csv = try DataSynth.csv(table: table, rows: 300, seed: seed)
            try csv.write(toFile: "\(path)/\(office).csv", atomically: true, encoding: .utf8)
            parts.append(try CSVTable.parse(csv, table: table))
        }
        let upload = ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/north.csv"]

        // cp-a dies taking north's upload; the other two take it.
        let first = try await deployment.run(upload, as: "north-uploader")
        #expect(!first.succeeded, "\(first.stdout)")
        #expect(first.stdout.contains("held by cp-b, cp-c but not by cp-a"), "\(first.stdout) \(first.stderr)")
        let deadline = ContinuousClock.now + .seconds(10)
        while crashing.process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(!crashing.process.isRunning && crashing.process.terminationReason == .uncaughtSignal)

        // Killed before the shares were moved into place, cp-a left the streamed body in a temporary file.
        let inputs = "\(path)/cp-a/tasks/\(task)/inputs/households"
        func temporaryFiles() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: inputs)) ?? []).filter { $0.hasSuffix(".tmp") }
        }
        if point == "upload.before-shares" { #expect(temporaryFiles().count == 1, "\(temporaryFiles())") }

        // Restarted (without the crash point), cp-a removes it and takes the same batch; the others answer with their
        // receipts.
        let restarted = try TestNodeProcess(configuration: "\(path)/cp-a.json", port: deployment.ports[0])
        try await restarted.waitUntilListening()
        #expect(temporaryFiles().isEmpty, "\(temporaryFiles())")
        deployment.nodes[0] = restarted
        let retry = try await deployment.run(upload, as: "north-uploader")
        #expect(retry.succeeded, "\(retry.stdout) \(retry.stderr)")
        #expect(retry.stdout.contains("cp-a: took 300 rows"), "\(retry.stdout)")
        let south = try await deployment.run(
            ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/south.csv"],
            as: "south-uploader")
        #expect(south.succeeded, "\(south.stdout) \(south.stderr)")

        try await deployment.expectResult(task, cts, on: parts)
        for node in deployment.nodes { try await node.expectCleanStop() }
    }
}
