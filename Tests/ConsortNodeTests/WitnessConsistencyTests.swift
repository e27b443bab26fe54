import ConsortAudit
import ConsortNode
import ConsortPKI
import ConsortTesting
import Foundation
import SQLiteNIO
import Testing

/// Witnesses countersign a peer's checkpoint only if it extends the last one they countersigned (RFC 9162
/// consistency proof), so an administrator who cuts a node's log and deletes its later checkpoints cannot have the
/// new history countersigned, and the auditor reports it.
@Suite("Witnessed checkpoints only grow")
struct WitnessConsistencyTests {
    /// Checkpoints of `member`'s log that carry countersignatures, from its store.
    static func witnessedCheckpoints(_ deployment: TaskSubmissionTests.Deployment, _ member: String) async throws
        -> [AuditCheckpoint]
    {
        try await AuditStores.with(.sqlite(path: "\(deployment.path)/\(member)/audit.db")) {
            try await $0.checkpoints(of: try MemberID(member)).filter { !$0.witnesses.isEmpty }
        }
    }

    @Test("a log cut back and re-checkpointed is refused by its witnesses and reported by the auditor")
    func cutLogIsRefused() async throws {
        let deployment = try await TaskSubmissionTests.Deployment()
        // History once every node is up (a checkpoint taken while a peer is still starting is not retried until
        // the log grows again), then more: the second countersigned checkpoint extends the first (consistency proof).
        _ = try await deployment.submit(TestSpecifications.householdIncome())
        try await Eventually.wait("cp-a's first checkpoint was not countersigned by both peers") {
            try await Self.witnessedCheckpoints(deployment, "cp-a").contains { $0.witnesses.count == 2 }
        }
        _ = try await deployment.run(["task", "status", String(repeating: "0", count: 64)], as: "north-signer")
        try await Eventually.wait("cp-a's second checkpoint was not countersigned") {
            try await Self.witnessedCheckpoints(deployment, "cp-a").filter { $0.witnesses.count == 2 }.count >= 2
        }
        let witnessedSize = try #require(try await Self.witnessedCheckpoints(deployment, "cp-a").map(\.size).max())

        // The administrator stops cp-a, cuts its log back before that checkpoint and deletes its checkpoints.
        try await deployment.nodes[0].expectCleanStop()
        let connection = try await SQLiteConnection.open(storage: .file(path: "\(deployment.path)/cp-a/audit.db"))
        for statement in [
            "DROP TRIGGER audit_entries_no_delete", "DROP TRIGGER audit_checkpoints_no_delete",
            "DROP TRIGGER audit_witnesses_no_delete", "DELETE FROM audit_entries WHERE seq >= \(witnessedSize)",
            "DELETE FROM audit_checkpoints", "DELETE FROM audit_witnesses",
        ] { _ = try await connection.query(statement) }
        try await connection.close()
        // Restarted, cp-a's log grows again (node.started, a refused request) and it asks for countersignatures.
        let restarted = try TestNodeProcess(configuration: "\(deployment.path)/cp-a.json", port: deployment.ports[0])
        deployment.nodes[0] = restarted
        try await restarted.waitUntilListening()
        try await Eventually.wait("cp-b did not refuse cp-a's new checkpoint") {
            try await deployment.audit("cp-b").contains {
                $0.action == .requestDenied && $0.details.contains("was cut or rewritten")
            }
        }
        try await Task.sleep(for: .seconds(2))
        for node in deployment.nodes { try await node.expectCleanStop() }

        for witness in ["cp-b", "cp-c"] {
            let refusals = try await deployment.audit(witness).filter {
                $0.action == .requestDenied && $0.details.contains("cut or rewritten")
            }
            #expect(
                refusals.contains {
                    $0.details.contains("at \(witnessedSize) entries") && $0.actor.subject.contains("cp-a")
                },
                "\(witness): \(refusals.map(\.details))")
        }
        #expect(
            try await Self.witnessedCheckpoints(deployment, "cp-a").isEmpty,
            "a checkpoint of the cut log was countersigned")

        // The auditor: cp-a's log verifies on its own (chain intact, no checkpoints left), but not against what its
        // witnesses recorded.
        var logs: [AuditDirectoryVerifier.NodeLog] = []
        let path = deployment.path
        for member in deployment.computing {
            logs.append(
                try await AuditStores.with(.sqlite(path: "\(path)/\(member)/audit.db")) { store in
                    AuditDirectoryVerifier.NodeLog(
                        member: member, entries: try await store.allEntries(),
                        chain: try PEMFiles.readCertificates("\(path)/\(member)-node.pem"),
                        checkpoints: try await store.checkpoints(of: try MemberID(member)))
                })
        }
        let report = await AuditDirectoryVerifier.verify(logs, root: deployment.consortium.root.certificate)
        #expect(!report.verified)
        #expect(
            report.lines.contains { $0.hasPrefix("cp-a: FAILED") && $0.contains("history was rewritten") },
            "\(report.lines)")
        #expect(report.lines.contains { $0.hasPrefix("cp-b: OK") }, "\(report.lines)")
    }
}
