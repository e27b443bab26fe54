import ConsortAudit
import ConsortClient
import ConsortMPC
import ConsortPKI
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Crypto
import Foundation
import Testing

/// The API's Codable types, as the node and the client write them, against `Specs/openapi.yaml`'s schemas (checked
/// by Python's jsonschema, an independent validator), and the receipt signature both sides rely on.
@Suite("Node API types")
struct APISchemaTests {
    static let task = String(repeating: "ab", count: 32)

    /// One encoded sample of every JSON body the API defines, by schema name, as Consort's own code writes it.
    static func samples() async throws -> [String: [UInt8]] {
        let key = P256.Signing.PrivateKey()
        let receipt = UploadResponse.Receipt(
            task: Self.task, table: "households", member: "nso-north", rows: 1000, batch: "b-1",
            final: true, sha256: Self.task, node: "cp-a", at: "2026-12-01T10:00:00Z")
        let cts = try #require(
            try SpecificationDocument(bytes: Array(TestSpecifications.householdIncome().utf8)).specification().0)
        let facts = try JSONDecoder().decode(
            PublicFacts.self,
            from: Data(
                #"{"abortFailures":[false],"suppressed":[false,true],"empty":[false,false],"single":[false,false],"constantX":{"0":[false,true]},"constantY":{},"emptyArgument":{"1":[true,false]},"singleArgument":{}}"#
                    .utf8))
        let cells = try Replicated3.Engine.deal([1, 2, 3], parties: 3)[0]

        // An audit entry, a checkpoint countersigned by another node, and the request for that countersignature.
        var consortium = try TestConsortium()
        try consortium.admit("cp-a", roles: [.compute])
        try consortium.admit("cp-b", roles: [.compute])
        let (nodeA, nodeB) = (try consortium.node("cp-a"), try consortium.node("cp-b"))
        let directory = try Subprocess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let entry = try await AuditStores.with(.sqlite(path: directory.appendingPathComponent("audit.db").path)) {
            store in
            try await AuditLog(store: store, identity: nodeA).append(
                try AuditDraft(
                    actor: AuditActor(fingerprint: "-", subject: "consort://cp-a/node"), action: .inputReceived,
                    taskID: Self.task, details: ["table": .string("households")]))
        }
        var checkpoint = try AuditCheckpoint.sign(
            node: try MemberID("cp-a"), size: 3, rootHash: Array(repeating: 0xab, count: 32), key: nodeA.privateKey)
        let witness = try checkpoint.witnessed(by: nodeB, member: try MemberID("cp-b"))
        let request = checkpoint.witnessRequest(from: 2, proof: [Array(repeating: 0xcd, count: 32)])
        checkpoint.witnesses = [witness]
        var halt = MultiSignatureJWS(
            payload: MemberClient.haltStatement(task: Self.task, reason: "wrong table", at: Date()))
        try halt.sign(as: try consortium.user("cp-a", name: "signer", roles: [.signer]), member: try MemberID("cp-a"))
        let rejection = ProposalView.Rejection(
            member: "nso-south", version: 1, reason: "the deadline is too near", at: "2026-12-01T10:00:00.000000Z")
        let view = ProposalView(
            proposal: String(Self.task.prefix(32)), proposer: "nso-north", version: 2, hash: Self.task, id: "hh",
            title: "Household income", state: .submitted, signed: ["nso-north"], missing: ["cp-a"],
            rejections: [rejection], task: Self.task, submission: nil, node: "nso-north")
        let signature = ProposalSync.Signature(
            protected: halt.signatures[0].protectedEncoded, signature: halt.signatures[0].signatureEncoded)
        return [
            "ProposalView": try APIJSON.encode(view),
            "ProposalListResponse": try APIJSON.encode(ProposalListResponse(node: "nso-north", proposals: [view])),
            "ProposalRejectRequest": try APIJSON.encode(ProposalRejectRequest(version: Self.task, reason: "no")),
            "ProposalSync": try APIJSON.encode(
                ProposalSync(
                    proposal: view.proposal, proposer: "nso-north", version: 2, revision: 5, cts: "{}",
                    signatures: [signature], rejections: [rejection], task: nil)),
            "ProposalReply": try APIJSON.encode(ProposalReply(version: Self.task, signature: signature)),
            "SignedDocument": halt.serialized(),
            "HaltStatement": halt.payload,
            "AuditEntryLine": Array(AuditExport.line(entry).utf8),
            "AuditCheckpoint": JSONWriter.write(checkpoint.json),
            "CheckpointWitness": JSONWriter.write(witness.json),
            "WitnessRequest": request,
            "ErrorResponse": try APIJSON.encode(ErrorResponse(error: "forbidden", message: "no")),
            "HealthResponse": try APIJSON.encode(
                HealthResponse(member: "cp-a", peer: "consort://nso-north/user/alice")),
            "TaskAccepted": try APIJSON.encode(TaskAccepted(task: Self.task, state: .accepted)),
            "TaskStatusResponse": try APIJSON.encode(
                TaskStatusResponse(task: Self.task, id: "hh", state: .collectingInputs, node: "cp-b")),
            "TaskListResponse": try APIJSON.encode(
                TaskListResponse(
                    node: "cp-a", tasks: [.init(task: Self.task, id: "hh", title: "t", state: .resultsReady)],
                    next: Self.task)),
            "HaltResponse": try APIJSON.encode(HaltResponse(state: .halted)),
            "WitnessedResponse": try APIJSON.encode(WitnessedResponse(node: "cp-a", size: 12, root: Self.task)),
            "UploadResponse": try APIJSON.encode(try UploadResponse.signed(receipt, by: key)),
            "ResultBody": try TaskShares(task: Self.task, cts: cts).resultBody(
                PartyResult(facts: facts, cells: cells), party: 0),
        ]
    }

    @Test(
        "every body the API writes validates against its schema in Specs/openapi.yaml",
        .enabled(
            if: TestEnvironment.canRunPython(["jsonschema", "yaml"]), "python with jsonschema and yaml is not installed"
        ))
    func schemas() async throws {
        let python = try TestEnvironment.requirePython(["jsonschema", "yaml"])
        let directory = try Subprocess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var manifest: [String: String] = [:]
        for (name, bytes) in try await Self.samples() {
            let path = directory.appendingPathComponent("\(name).json").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            manifest[name] = path
        }
        let manifestPath = directory.appendingPathComponent("manifest.json").path
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: manifestPath))
        let script = TestData.repositoryRoot.appendingPathComponent("scripts/interop/validate_openapi.py").path
        let spec = TestData.repositoryRoot.appendingPathComponent("Specs/openapi.yaml").path
        let output = try Subprocess.run(python, [script, spec, manifestPath])
        #expect(output.succeeded, "\(output.stdout) \(output.stderr)")
        #expect(output.stdout.contains("20 bodies valid"), "\(output.stdout)")
        // A body that breaks its schema is caught: the check can fail.
        try Data(#"{"task":"x","state":"accepted","extra":1}"#.utf8).write(
            to: URL(fileURLWithPath: manifest["TaskAccepted"]!))
        let broken = try Subprocess.run(python, [script, spec, manifestPath])
        #expect(!broken.succeeded && broken.stdout.contains("TaskAccepted"), "\(broken.stdout) \(broken.stderr)")
    }

    @Test(
        "a receipt's signature verifies under the node's certificate and no other, and not once the receipt is changed")
    func receipts() throws {
        var consortium = try TestConsortium()
        try consortium.admit("cp-a", roles: [.compute])
        try consortium.admit("cp-b", roles: [.compute])
        let node = try consortium.node("cp-a")
        let other = try consortium.node("cp-b")
        let receipt = UploadResponse.Receipt(
            task: Self.task, table: "households", member: "nso-north", rows: 7, batch: "b", final: false,
            sha256: Self.task,
            node: "cp-a", at: "2026-12-01T10:00:00Z")
        let response = try UploadResponse.signed(receipt, by: node.privateKey)
        // Through the wire format and back.
        let read = try APIJSON.decode(UploadResponse.self, from: try APIJSON.encode(response))
        #expect(read.isSigned(by: node.certificate))
        #expect(!read.isSigned(by: other.certificate))
        var altered = read
        altered.receipt.rows = 8
        #expect(!altered.isSigned(by: node.certificate))
    }

    @Test("client settings: a flag wins over the environment, which wins over the profile; a missing one is named")
    func profiles() throws {
        let directory = try Subprocess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let profile = directory.appendingPathComponent("profile.json").path
        try Data(#"{"identity": "keys/alice", "directory": "directory.json", "root": "/etc/consort/root.pem"}"#.utf8)
            .write(to: URL(fileURLWithPath: profile))
        let fromFile = try ClientProfile.resolve(explicit: ClientProfile(), profile: profile, environment: [:])
        #expect(
            fromFile.identity == "\(directory.path)/keys/alice"
                && fromFile.directory == "\(directory.path)/directory.json"
                && fromFile.root == "/etc/consort/root.pem")
        let environment = ["CONSORT_DIRECTORY": "/env/directory.json", "CONSORT_PROFILE": profile]
        let mixed = try ClientProfile.resolve(explicit: ClientProfile(root: "/flag/root.pem"), environment: environment)
        #expect(
            mixed.directory == "/env/directory.json" && mixed.root == "/flag/root.pem"
                && mixed.identity == "\(directory.path)/keys/alice")
        let missing = try #require(throws: ClientError.self) {
            try ClientProfile.resolve(explicit: ClientProfile(), environment: [:])
        }
        #expect(missing.message.contains("--identity") && missing.message.contains("CONSORT_IDENTITY"))
        let keysGiven = try ClientProfile.resolve(
            explicit: ClientProfile(directory: "d", root: "r"), needsIdentity: false, environment: [:])
        #expect(keysGiven.identity == nil)
    }
}
