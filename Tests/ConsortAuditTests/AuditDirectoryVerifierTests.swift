import ConsortAudit
import ConsortPKI
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

/// The auditor's verification of several nodes' logs at once, on logs written by real `AuditLog`s over SQLite.
@Suite("Audit logs verified together")
struct AuditDirectoryVerifierTests {
    static let task = String(repeating: "7e", count: 32)

    /// Three computing-party nodes' logs: each accepted the task and reports `outcomes[i]`; cp-a's checkpoint is
    /// countersigned by cp-b, whose log records it unless `witnessRecorded` is false.
    static func logs(
        outcomes: [AuditAction] = [.computeFinished, .computeFinished, .computeFinished],
        witnessRecorded: Bool = true
    ) async throws -> (TestConsortium, [AuditDirectoryVerifier.NodeLog]) {
        var consortium = try TestConsortium()
        let members = ["cp-a", "cp-b", "cp-c"]
        var identities: [SigningIdentity] = []
        for member in members {
            try consortium.admit(member, roles: [.compute])
            identities.append(try consortium.node(member))
        }
        let directory = try Subprocess.temporaryDirectory("consort-audit-dir")
        defer { try? FileManager.default.removeItem(at: directory) }
        var stores: [any AuditStore] = []
        var logs: [AuditLog] = []
        for (index, member) in members.enumerated() {
            let store = try await SQLiteAuditStore.open(path: directory.appendingPathComponent("\(member).db").path)
            stores.append(store)
            let log = try AuditLog(store: store, identity: identities[index])
            logs.append(log)
            let actor = AuditActor.system(try MemberID(member))
            try await log.record(.ctsAccepted, by: actor, task: Self.task)
            try await log.record(outcomes[index], by: actor, task: Self.task)
        }
        var checkpoint = try await logs[0].checkpoint()
        checkpoint.witnesses = [try checkpoint.witnessed(by: identities[1], member: try MemberID("cp-b"))]
        if witnessRecorded {
            try await logs[1].record(
                .checkpointWitnessed, by: .system(try MemberID("cp-b")),
                details: [
                    "node": .string("cp-a"), "size": .number(JSONNumber(checkpoint.size)),
                    "root": .string(Hex.encode(checkpoint.rootHash)),
                ])
        }
        var result: [AuditDirectoryVerifier.NodeLog] = []
        for (index, member) in members.enumerated() {
            result.append(
                .init(
                    member: member, entries: try await stores[index].allEntries(), chain: identities[index].chain,
                    checkpoints: index == 0 ? [checkpoint] : []))
            try await stores[index].close()
        }
        return (consortium, result)
    }

    @Test("honest logs verify: chains, checkpoints, the countersignature in the witness's log, and agreement")
    func honest() async throws {
        let (consortium, logs) = try await Self.logs()
        let report = await AuditDirectoryVerifier.verify(logs, root: consortium.root.certificate)
        #expect(report.verified, "\(report.lines)")
        #expect(report.lines.last == "audit verified: 3 node(s) agree on 1 task(s)")
        #expect(
            report.lines[0].contains("cp-a: OK")
                && report.lines[0].contains("1 checkpoint(s) with 1 witness signature(s)"))
        #expect(report.outcomes[Self.task] == ["cp-a": "computed", "cp-b": "computed", "cp-c": "computed"])
    }

    @Test("nodes that disagree on whether a task produced a result are named; stopped in different ways is agreement")
    func disagreement() async throws {
        let (consortium, logs) = try await Self.logs(outcomes: [.computeFinished, .computeAborted, .computeFinished])
        let report = await AuditDirectoryVerifier.verify(logs, root: consortium.root.certificate)
        #expect(!report.verified)
        #expect(
            report.lines.contains { $0.contains("the nodes disagree") && $0.contains("cp-b aborted") },
            "\(report.lines)")
        let (other, stopped) = try await Self.logs(outcomes: [.taskHalted, .computeAborted, .taskExpired])
        #expect(await AuditDirectoryVerifier.verify(stopped, root: other.root.certificate).verified)
    }

    @Test("a countersignature the witness's own log does not record is reported")
    func unrecordedWitness() async throws {
        let (consortium, logs) = try await Self.logs(witnessRecorded: false)
        let report = await AuditDirectoryVerifier.verify(logs, root: consortium.root.certificate)
        #expect(!report.verified)
        #expect(
            report.lines.contains { $0.contains("claims a countersignature of cp-b, whose log does not record it") },
            "\(report.lines)")
    }

    @Test("an edited entry, a log under another node's certificate, and another root all fail")
    func tampering() async throws {
        let (consortium, logs) = try await Self.logs()
        var edited = logs
        edited[2].entries[1].details = #"{"rows":1}"#
        let report = await AuditDirectoryVerifier.verify(edited, root: consortium.root.certificate)
        #expect(
            !report.verified && report.lines.contains { $0.hasPrefix("cp-c: FAILED at entry 2") }, "\(report.lines)")
        var swapped = logs
        swapped[1].chain = logs[2].chain
        #expect(!(await AuditDirectoryVerifier.verify(swapped, root: consortium.root.certificate)).verified)
        let stranger = try TestConsortium(name: "Another Operator")
        let foreign = await AuditDirectoryVerifier.verify(logs, root: stranger.root.certificate)
        #expect(!foreign.verified && foreign.lines.filter { $0.contains("FAILED") }.count == 3, "\(foreign.lines)")
    }

    @Test(
        "a log cut or rewritten after a witness countersigned it fails on its own line, even with its later checkpoints deleted"
    )
    func rewrittenAfterWitnessing() async throws {
        let (consortium, logs) = try await Self.logs()
        let witnessedSize = try #require(logs[0].checkpoints.first?.size)
        // The administrator cut cp-a's log back before the countersigned checkpoint and deleted the checkpoint: the
        // chain and the remaining checkpoints (none) verify, but cp-b's log says what cp-a's log held.
        var cut = logs
        cut[0].entries = Array(logs[0].entries.prefix(Int(witnessedSize) - 1))
        cut[0].checkpoints = []
        let report = await AuditDirectoryVerifier.verify(cut, root: consortium.root.certificate)
        #expect(!report.verified)
        #expect(
            report.lines.contains {
                $0.hasPrefix("cp-a: FAILED: cp-b countersigned a checkpoint of this log at \(witnessedSize) entries")
                    && $0.contains("entries were removed")
            }, "\(report.lines)")
        #expect(!report.lines.contains { $0.hasPrefix("cp-a: OK") }, "\(report.lines)")
        // Another history of the same length: the root the witness recorded is not the log's.
        let forged = AuditDirectoryVerifier.Countersigned(
            witness: "cp-c", node: "cp-a", size: witnessedSize, root: String(repeating: "ab", count: 32))
        let rewritten = try #require(AuditDirectoryVerifier.contradiction(of: logs[0], by: [forged]))
        #expect(rewritten.contains("the history was rewritten"), "\(rewritten)")
        #expect(
            AuditDirectoryVerifier.contradiction(
                of: logs[0], by: AuditDirectoryVerifier.countersigned(in: logs)) == nil)
    }

    @Test("an action name edited into one Consort does not write is tampering at that entry, also through an export")
    func editedActionName() async throws {
        let (consortium, logs) = try await Self.logs()
        let directory = try Subprocess.temporaryDirectory("consort-audit-action")
        let path = directory.appendingPathComponent("cp-c.jsonl").path
        try AuditExport.write(logs[2].entries, to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: #""action":"compute.finished""#, with: #""action":"compute.finishedX""#)
            .write(toFile: path, atomically: true, encoding: .utf8)
        var edited = logs
        edited[2].entries = try AuditExport.read(path)
        #expect(edited[2].entries[1].unknownAction == "compute.finishedX")
        let report = await AuditDirectoryVerifier.verify(edited, root: consortium.root.certificate)
        #expect(
            report.lines.contains {
                $0.hasPrefix("cp-c: FAILED at entry 2: edited: its action was changed to 'compute.finishedX'")
            }, "\(report.lines)")
        // The other logs are still reported, each on its own line.
        #expect(
            report.lines.contains { $0.hasPrefix("cp-a: OK") } && report.lines.contains { $0.hasPrefix("cp-b: OK") })
    }

    @Test("a directory without logs is refused, naming what to do")
    func emptyDirectory() throws {
        let directory = try Subprocess.temporaryDirectory("consort-audit-empty")
        defer { try? FileManager.default.removeItem(at: directory) }
        let error = try #require(throws: AuditError.self) { try AuditDirectoryVerifier.read(directory: directory.path) }
        #expect(error.message.contains("consort audit pull"))
    }
}
