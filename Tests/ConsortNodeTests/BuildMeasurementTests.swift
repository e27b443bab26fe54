import ConsortAudit
import ConsortNode
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Crypto
import Foundation
import Testing

/// Computing parties report their build measurement at session start; a CTS that pins builds (`engine.measurements`)
/// runs only on them.
// In the serialized suite of node deployments: three more node processes beside it would overload two cores.
extension TaskSubmissionTests {
    /// Submits the household task with `measurements` pinned, uploads both input parties' rows and waits until every
    /// node reports `state` (or 60 s pass); returns the deployment and the task.
    func runPinned(pinning measurements: [String], until state: String) async throws -> (
        TaskSubmissionTests.Deployment, String
    ) {
        let deployment = try await TaskSubmissionTests.Deployment()
        let path = deployment.path
        let pinned = measurements.map { "\"\($0)\"" }.joined(separator: ", ")
        let text = TestSpecifications.householdIncome().replacingOccurrences(
            of: #""majority": "honest"}"#, with: #""majority": "honest", "measurements": [\#(pinned)]}"#)
        try #require(text.contains("measurements"), "the CTS has no engine object to pin builds in")
        let (task, cts) = try await deployment.submit(text)
        #expect(cts.engine.measurements == measurements)
        let table = try #require(cts.table(named: "households"))
        for (office, seed) in [("north", UInt64(1)), ("south", 2)] {
            try DataSynth.csv(table: table, rows: 200, seed: seed).write(
                toFile: "\(path)/\(office).csv", atomically: true, encoding: .utf8)
            let uploaded = try await deployment.run(
                ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/\(office).csv"],
                as: "\(office)-uploader")
            try #require(uploaded.succeeded, "\(uploaded.stdout)")
        }
        var status = ""
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let output = try await deployment.run(["task", "status", task], as: "analyst")
            status = output.stdout + output.stderr
            if status.components(separatedBy: ": \(state)").count == 4 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(status.components(separatedBy: ": \(state)").count == 4, "\(status)")
        return (deployment, task)
    }

    /// The SHA-256 of the consort binary the nodes run.
    var consortMeasurement: String {
        get throws {
            let bytes = try Data(contentsOf: TestEnvironment.consortExecutable())
            return SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        }
    }

    @Test("a task pinned to the nodes' build completes; each node logs every party's signed measurement")
    func pinnedBuildRuns() async throws {
        let own = try self.consortMeasurement
        let (deployment, task) = try await self.runPinned(pinning: [own], until: "results-ready")
        let fetched = try await deployment.run(["output", "fetch", "--task", task], as: "analyst")
        #expect(fetched.succeeded, "\(fetched.stdout) \(fetched.stderr)")
        for node in deployment.nodes { try await node.expectCleanStop() }
        for member in deployment.computing {
            let measured = try await deployment.audit(member).filter { $0.action == .buildsMeasured }
            #expect(measured.count == 1, "\(member): \(measured.map(\.details))")
            let details = measured.first?.details ?? ""
            #expect(details.contains(#""outcome":"accepted""#), "\(details)")
            for party in deployment.computing { #expect(details.contains(#""member":"\#(party)""#), "\(details)") }
            #expect(details.components(separatedBy: own).count == 5, "\(details)")  // allowed + three parties
            // The test build is not stamped by scripts/package: every party says so rather than naming a commit.
            #expect(details.components(separatedBy: #""commit":"unknown""#).count == 4, "\(details)")
        }
    }

    @Test("a task pinned to another build is refused by every computing party before any input is read, audited")
    func otherBuildRefused() async throws {
        let other = String(repeating: "ab", count: 32)
        let (deployment, task) = try await self.runPinned(pinning: [other], until: "aborted")
        let fetched = try await deployment.run(["output", "fetch", "--task", task], as: "analyst")
        #expect(!fetched.succeeded, "a refused build released output: \(fetched.stdout)")
        for node in deployment.nodes { try await node.expectCleanStop() }
        let own = try self.consortMeasurement
        for member in deployment.computing {
            let entries = try await deployment.audit(member)
            #expect(!entries.contains { $0.action == .outputReleased })
            let aborted = entries.filter { $0.action == .computeAborted }.map(\.details).joined()
            #expect(aborted.contains("engine.measurements"), "\(member): \(aborted)")
            let measured = entries.filter { $0.action == .buildsMeasured }.map(\.details).joined()
            // Each node checks every party, itself first: it refuses its own build and names it.
            #expect(measured.contains(#""outcome":"refused""#) && measured.contains(own), "\(member): \(measured)")
        }
    }
}
