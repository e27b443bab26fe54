import ConsortAudit
import ConsortClient
import ConsortNode
import ConsortPKI
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

/// The distributed control plane over separate node processes, one per member, driven by `consort proposal` as each
/// member's people would: propose, reject, revise, sign on every member's own node, and the proposer's node submits.
@Suite("Proposals between members' own nodes")
struct ProposalTests {
    @Test(
        "a CTS proposed on one member's node is rejected, revised, signed on every named member's node and submitted")
    func proposeSignSubmit() async throws {
        let offices = ["nso-north", "nso-south", "eurostat"]
        let deployment = try await TaskSubmissionTests.Deployment(memberNodes: offices + ["auditor"])
        let path = deployment.path
        let everyone = offices + deployment.computing
        for member in everyone {
            try deployment.signers[try MemberID(member)]!.write(directory: path, name: "\(member)-signer")
        }
        let text = TestSpecifications.householdIncome()
        try text.write(toFile: "\(path)/household.json", atomically: true, encoding: .utf8)

        let created = try await deployment.run(
            ["proposal", "create", "\(path)/household.json"], as: "nso-north-signer")
        try #require(created.succeeded, "\(created.stdout) \(created.stderr)")
        let id = try #require(created.stdout.split(separator: " ").dropFirst().first.map { String($0.dropLast()) })
        #expect(created.stdout.contains("version 1 by nso-north") && created.stdout.contains("state:    open"))

        // Every named member's node gets it, and lists it as waiting for that member.
        try deployment.consortium.user("auditor", name: "signer", roles: [.signer]).write(
            directory: path, name: "auditor-signer")
        for member in everyone + ["auditor"] where member != "nso-north" {
            try await Eventually.wait("\(member)'s node never got the proposal", within: 30) {
                try await deployment.run(["proposal", "list"], as: "\(member)-signer").stdout.contains(
                    "\(id)  v1  open  hh-income")
            }
        }
        let listed = try await deployment.run(["proposal", "list"], as: "nso-south-signer")
        #expect(listed.stdout.contains("<- waiting for you"), "\(listed.stdout)")
        let shown = try await deployment.run(["proposal", "show", "--proposal", id], as: "nso-south-signer")
        #expect(shown.stdout.contains("QUERY CHECK") && shown.stdout.contains("must sign"), "\(shown.stdout)")
        let versionOne = MultiSignatureJWS.taskID(of: Array(text.utf8))

        // nso-south signs version 1; eurostat rejects it, with a reason every node then shows.
        let southSigned = try await deployment.run(
            ["proposal", "sign", "--proposal", id, "--hash", versionOne], as: "nso-south-signer")
        #expect(southSigned.succeeded, "\(southSigned.stdout) \(southSigned.stderr)")
        let rejected = try await deployment.run(
            ["proposal", "reject", "--proposal", id, "--reason", "the output deadline is too near"],
            as: "eurostat-signer")
        #expect(rejected.succeeded, "\(rejected.stdout) \(rejected.stderr)")
        try await Eventually.wait("nso-north never learnt of the rejection", within: 30) {
            let shown = try await deployment.run(["proposal", "show", "--proposal", id], as: "nso-north-signer").stdout
            return shown.contains("state:    rejected") && shown.contains("by eurostat")
                && shown.contains("signed:   nso-south")
        }
        let afterRejection = try await deployment.run(["proposal", "sign", "--proposal", id], as: "cp-a-signer")
        #expect(
            !afterRejection.succeeded && afterRejection.stderr.contains("was rejected by eurostat"),
            "\(afterRejection.stdout) \(afterRejection.stderr)")

        // A new version voids the signatures of the first: nso-south's is gone, and signing the old hash is refused.
        let revisedText = TestSpecifications.householdIncomeRevised()
        try revisedText.write(toFile: "\(path)/household-2.json", atomically: true, encoding: .utf8)
        let revised = try await deployment.run(
            ["proposal", "create", "\(path)/household-2.json", "--revises", id], as: "nso-north-signer")
        #expect(
            revised.succeeded && revised.stdout.contains("version 2")
                && revised.stdout.contains("signed:   nobody yet"),
            "\(revised.stdout) \(revised.stderr)")
        try await Eventually.wait("nso-south never got version 2", within: 30) {
            try await deployment.run(["proposal", "list"], as: "nso-south-signer").stdout.contains("\(id)  v2  open")
        }
        let stale = try await deployment.run(
            ["proposal", "sign", "--proposal", id, "--hash", versionOne], as: "nso-south-signer")
        #expect(!stale.succeeded && stale.stderr.contains("now version 2"), "\(stale.stdout) \(stale.stderr)")

        // A member the CTS does not name cannot slip a signature in, even from its own genuine node.
        let outsiderNode = try deployment.consortium.node("nso-east")
        let outsider = try MemberClient.load(
            identity: outsiderNode, directory: "\(path)/directory.json", root: "\(path)/root.pem")
        var foreign = MultiSignatureJWS(payload: Array(revisedText.utf8))
        try foreign.sign(
            as: try deployment.consortium.user("nso-east", name: "signer", roles: [.signer]),
            member: try MemberID("nso-east"))
        let reply = ProposalReply(
            version: foreign.taskID,
            signature: .init(
                protected: foreign.signatures[0].protectedEncoded, signature: foreign.signatures[0].signatureEncoded))
        let slipped = await outsider.ask(
            .post, "/v1/proposals/\(id)/replies", body: try APIJSON.encode(reply), of: try MemberID("nso-north"),
            as: ProposalView.self)
        #expect(slipped.status == 403 && slipped.refusal.contains("nso-east is not named"), "\(slipped.line)")

        // Everyone signs version 2 on their own node; the proposer's node then submits it to the computing parties.
        let versionTwo = MultiSignatureJWS.taskID(of: Array(revisedText.utf8))
        for member in everyone {
            let signed = try await deployment.run(
                ["proposal", "sign", "--proposal", id, "--hash", versionTwo], as: "\(member)-signer")
            #expect(signed.succeeded, "\(member): \(signed.stdout) \(signed.stderr)")
        }
        try await Eventually.wait("the proposal was never submitted", within: 60) {
            try await deployment.run(["proposal", "show", "--proposal", id], as: "nso-north-signer").stdout.contains(
                "state:    submitted as task \(versionTwo)")
        }
        let status = try await deployment.run(["task", "status", "--task", versionTwo], as: "nso-north-signer")
        #expect(status.stdout.components(separatedBy: ": accepted").count == 4, "\(status.stdout)")
        // Every member's node learns the outcome.
        try await Eventually.wait("nso-south never learnt the task", within: 30) {
            try await deployment.run(["proposal", "list"], as: "nso-south-signer").stdout.contains(
                "\(id)  v2  submitted")
        }

        for node in deployment.nodes { try await node.expectCleanStop() }
        let north = try await deployment.audit("nso-north").map(\.action)
        for action in [
            AuditAction.proposalCreated, .proposalRevised, .proposalSigned, .proposalRejected, .proposalSubmitted,
            .requestDenied,
        ] {
            #expect(north.contains(action), "nso-north's log has no \(action.rawValue)")
        }
        let south = try await deployment.audit("nso-south")
        #expect(south.contains { $0.action == .proposalReceived && $0.details.contains(id) })
        #expect(
            south.contains {
                $0.action == .proposalSigned && $0.actor.subject.contains("nso-south")
                    && $0.details.contains(versionTwo)
            })
    }
}
