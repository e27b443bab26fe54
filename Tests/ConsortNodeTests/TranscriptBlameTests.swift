import ConsortAudit
import ConsortNode
import ConsortPKI
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

/// Signed session transcripts between real node processes: every computing party records what it sent and received
/// and its peers' signed claims of the same; a node that lies about what it sent is caught at the session's end, the
/// task aborts everywhere it is caught, and `consort audit verify` names the liar from the nodes' logs.
@Suite("MPC session transcripts and blame", .serialized)
struct TranscriptBlameTests {
    /// Submits the household task, uploads both offices' rows and waits until no node is still computing; returns
    /// the task id and each node's state.
    static func run(
        _ deployment: TaskSubmissionTests.Deployment, security: EngineDescriptor.Security = .passive
    ) async throws -> (String, [String: String]) {
        let path = deployment.path
        let (task, cts) = try await deployment.submit(TestSpecifications.householdIncome(security: security))
        let table = try #require(cts.table(named: "households"))
        for (office, seed) in [("north", 1), ("south", 2)] {
            try DataSynth.csv(table: table, rows: 200, seed: UInt64(seed)).write(
                toFile: "\(path)/\(office).csv", atomically: true, encoding: .utf8)
            let upload = try await deployment.run(
                ["input", "upload", "--task", task, "--table", "households", "--csv", "\(path)/\(office).csv"],
                as: "\(office)-uploader")
            try #require(upload.succeeded, "\(upload.stdout) \(upload.stderr)")
        }
        var states: [String: String] = [:]
        try await Eventually.wait("the nodes never finished the computation", within: 120) {
            let status = try await deployment.run(["task", "status", "--task", task], as: "analyst")
            states = [:]
            for member in deployment.computing {
                let line = status.stdout.split(separator: "\n").first { $0.contains("\(member)") } ?? ""
                states[member] = ["results-ready", "aborted", "computing", "collecting-inputs"].first {
                    line.contains($0)
                }
            }
            return states.values.allSatisfy { $0 == "results-ready" || $0 == "aborted" }
        }
        return (task, states)
    }

    static func pullAndVerify(_ deployment: TaskSubmissionTests.Deployment) async throws -> String {
        let path = deployment.path
        try deployment.consortium.user("auditor", name: "inspector", roles: [.auditor]).write(
            directory: path, name: "inspector")
        let pulled = try await deployment.run(["audit", "pull", "--out", "\(path)/logs"], as: "inspector")
        try #require(pulled.succeeded, "\(pulled.stdout) \(pulled.stderr)")
        let verified = try await Subprocess.output(
            deployment.consort, ["audit", "verify", "--dir", "\(path)/logs", "--root", "\(path)/root.pem"])
        return verified.stdout + verified.stderr
    }

    @Test("honest nodes: every node logs the session's transcript with its peers' signed claims, and they agree")
    func honest() async throws {
        let deployment = try await TaskSubmissionTests.Deployment { _, configuration in
            configuration.mpcTranscripts = true
        }
        let (task, states) = try await Self.run(deployment)
        #expect(states.values.allSatisfy { $0 == "results-ready" }, "\(states)")
        var records: [Int: TranscriptRecord] = [:]
        for member in deployment.computing {
            let finished = try #require(
                try await deployment.audit(member).first { $0.action == .computeFinished && $0.taskID == task })
            guard case .object(let details) = try StrictJSONReader().parse(Array(finished.details.utf8)),
                let record = details["transcript"].flatMap(TranscriptRecord.init(json:))
            else {
                Issue.record("\(member) logged no transcript: \(finished.details)")
                continue
            }
            #expect(record.links.count == 2 && record.links.allSatisfy { $0.claimSignature?.count == 128 })
            records[record.party] = record
        }
        for (party, record) in records {
            for link in record.links {
                let back = try #require(records[link.peer]?.links.first { $0.peer == party })
                #expect(link.sent == back.received && link.received == back.sent && link.claimSent == back.sent)
            }
        }
        let report = try await Self.pullAndVerify(deployment)
        #expect(
            report.contains("audit verified") && !report.contains("DISPUTE") && !report.contains("BLAMED"), "\(report)")
    }

    @Test("a node that lies about what it sent: its peers abort the task naming the pair, and the auditor blames it")
    func liar() async throws {
        let deployment = try await TaskSubmissionTests.Deployment(
            configure: { _, configuration in configuration.mpcTranscripts = true },
            environment: ["cp-c": ["CONSORT_TEST_MPC_CORRUPT": "lie-in-end-claims"]])
        let (task, states) = try await Self.run(deployment)
        #expect(states["cp-a"] == "aborted" && states["cp-b"] == "aborted", "\(states)")
        // Each honest node aborted because of party 2: on its own check, or on its peer's abort for the same reason;
        // each logged its transcript as evidence.
        for member in ["cp-a", "cp-b"] {
            let aborted = try #require(
                try await deployment.audit(member).first { $0.action == .computeAborted && $0.taskID == task })
            #expect(
                aborted.details.contains("and 2 disagree on what 2 sent") && aborted.details.contains("\"transcript\""),
                "\(aborted.details)")
        }
        // The honest nodes released nothing: the output cannot be put together.
        let fetched = try await deployment.run(["output", "fetch", "--task", task], as: "analyst")
        #expect(!fetched.succeeded, "\(fetched.stdout)")
        let report = try await Self.pullAndVerify(deployment)
        // Conclusive wherever an honest node holds the liar's signed claim (the node that checked first always does).
        #expect(
            report.contains(
                "BLAMED: cp-c (party 2) signed one record of its messages with cp-a (party 0) and logged another")
                || report.contains("BLAMED: cp-c (party 2) signed one record of its messages with cp-b (party 1)"),
            "\(report)")
        // The liar itself ends `computed` or `aborted`, as the honest nodes' aborts reach it in time or not.
        #expect(report.contains(" finding(s) about MPC sessions (BLAMED, DISPUTE above)"), "\(report)")
        #expect(
            !report.contains("BLAMED: cp-a") && !report.contains("BLAMED: cp-b"), "an honest node was blamed: \(report)"
        )
    }

    @Test("an active task through three nodes: the result is released and equals the passive engine's")
    func activeHonest() async throws {
        var results: [String] = []
        for security in [EngineDescriptor.Security.passive, .active] {
            let deployment = try await TaskSubmissionTests.Deployment()
            let (task, states) = try await Self.run(deployment, security: security)
            #expect(states.values.allSatisfy { $0 == "results-ready" }, "\(security): \(states)")
            let fetched = try await deployment.run(
                ["output", "fetch", "--task", task, "--format", "csv"], as: "analyst")
            try #require(fetched.succeeded, "\(security): \(fetched.stdout) \(fetched.stderr)")
            results.append(fetched.stdout)
            let report = try await Self.pullAndVerify(deployment)
            #expect(report.contains("audit verified") && !report.contains("DISPUTE") && !report.contains("BLAMED"))
        }
        #expect(!results[0].isEmpty && results[0] == results[1], "passive:\n\(results[0])\nactive:\n\(results[1])")
    }

    @Test(
        "an active task with a node that cheats in the MPC: every node aborts, nothing is released, the auditor names it",
        arguments: ["wrong-product", "wrong-and"])
    func activeCheater(_ deviation: String) async throws {
        let deployment = try await TaskSubmissionTests.Deployment(
            configure: { _, _ in }, environment: ["cp-c": ["CONSORT_TEST_MPC_CORRUPT": "deviate:\(deviation)"]])
        let (task, states) = try await Self.run(deployment, security: .active)
        #expect(states.values.allSatisfy { $0 == "aborted" }, "\(states)")
        // Each honest node aborted; one that caught the deviation itself (rather than hearing its peer abort first)
        // logged whom it suspects.
        var reasons: [String] = []
        for member in ["cp-a", "cp-b"] {
            let aborted = try #require(
                try await deployment.audit(member).first { $0.action == .computeAborted && $0.taskID == task })
            reasons.append(aborted.details)
        }
        #expect(reasons.contains { $0.contains("\"suspects\"") }, "\(reasons)")
        let fetched = try await deployment.run(["output", "fetch", "--task", task], as: "analyst")
        #expect(!fetched.succeeded, "\(fetched.stdout)")
        let report = try await Self.pullAndVerify(deployment)
        #expect(
            report.contains("BLAMED: cp-c (party 2) deviated in the MPC")
                || (report.contains("DISPUTE: a computing party deviated in the MPC, one of")
                    && report.contains("cp-c (party 2)")),
            "\(report)")
        #expect(
            !report.contains("BLAMED: cp-a") && !report.contains("BLAMED: cp-b"), "an honest node was blamed: \(report)"
        )
    }
}
