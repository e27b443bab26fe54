import ConsortNode
import ConsortPKI
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

/// The compiled-in access policy (`Policies/access-policy.json`) decides from verified certificates and the directory.
@Suite("Access policy")
struct AccessPolicyTests {
    let consortium: TestConsortium
    let directory: MemberDirectory
    let task: ComputationTaskSpecification
    let verifier: ConsortVerifier

    init() throws {
        (self.consortium, _) = try TestConsortium.household()
        let consortium = self.consortium
        self.directory = try MemberDirectory(
            checking: try TestSpecifications.householdMembers.map { id, roles in
                MemberDirectory.Member(
                    id: try MemberID(id), name: id, roles: Set(roles.compactMap(MemberRole.init(rawValue:))),
                    certificate: try consortium.member(id).authority.certificate,
                    endpoint: id.hasPrefix("cp-") ? URL(string: "https://127.0.0.1:7443") : nil)
            }, issuedAt: Date())
        self.task = try #require(
            try SpecificationDocument(bytes: Array(TestSpecifications.householdIncome().utf8)).specification().0)
        self.verifier = ConsortVerifier(root: consortium.root.certificate)
    }

    func user(_ member: String, _ roles: Set<InternalRole>) async throws -> VerifiedIdentity {
        try await self.verifier.verify(
            chain: try self.consortium.user(member, name: "u", roles: roles).chain, usage: .client)
    }

    /// nil if allowed, else the refusal's message.
    func refusal(_ operation: AccessPolicy.Operation, _ caller: VerifiedIdentity, table: String? = nil) -> String? {
        do {
            try AccessPolicy.builtIn.authorize(
                operation, caller, directory: self.directory, node: try MemberID("cp-a"), task: self.task, table: table)
            return nil
        } catch let error as NodeError {
            #expect(error.code == .forbidden)
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test("uploads: only an uploader (or admin) of an input party listed for that table")
    func upload() async throws {
        #expect(self.refusal(.inputUpload, try await self.user("nso-north", [.uploader]), table: "households") == nil)
        #expect(self.refusal(.inputUpload, try await self.user("nso-north", [.admin]), table: "households") == nil)
        #expect(
            self.refusal(.inputUpload, try await self.user("nso-north", [.analyst]), table: "households")?.contains(
                "uploader or admin") == true)
        #expect(
            self.refusal(.inputUpload, try await self.user("nso-north", [.uploader]), table: "persons")?.contains(
                "not an input party for table 'persons'") == true)
        #expect(
            self.refusal(.inputUpload, try await self.user("eurostat", [.uploader]), table: "households")?.contains(
                "eurostat is not an input party") == true)
    }

    @Test("outputs, audit, metrics and witnessing each go only to whom the policy names")
    func others() async throws {
        #expect(self.refusal(.outputFetch, try await self.user("eurostat", [.analyst])) == nil)
        #expect(
            self.refusal(.outputFetch, try await self.user("nso-south", [.analyst]))?.contains("not an output party")
                == true)
        #expect(self.refusal(.auditRead, try await self.user("auditor", [.auditor])) == nil)
        #expect(
            self.refusal(.auditRead, try await self.user("auditor", [.analyst]))?.contains("role auditor or admin")
                == true)
        #expect(
            self.refusal(.auditRead, try await self.user("eurostat", [.admin]))?.contains("auditor members") == true)
        #expect(self.refusal(.metrics, try await self.user("cp-a", [.admin])) == nil)
        #expect(self.refusal(.metrics, try await self.user("cp-b", [.admin]))?.contains("only for cp-a") == true)
        let node = try await self.verifier.verify(chain: try self.consortium.node("cp-b").chain, usage: .client)
        #expect(self.refusal(.auditWitness, node) == nil)
        #expect(
            self.refusal(.auditWitness, try await self.user("cp-b", [.admin]))?.contains("node certificate") == true)
        let inputNode = try await self.verifier.verify(
            chain: try self.consortium.node("nso-north").chain, usage: .client)
        // A statistics office's own node has its checkpoints countersigned by the computing parties too.
        #expect(self.refusal(.auditWitness, inputNode) == nil)
        #expect(
            self.refusal(.auditWitness, try await self.user("nso-north", [.admin]))?.contains("node certificate")
                == true)
        #expect(
            self.refusal(.taskSubmit, try await self.user("nso-north", [.uploader]))?.contains("signer or admin")
                == true)
        // A party's node reads the task's state (reconciliation after being down), under the same task relation as
        // its users; it still cannot fetch outputs or upload.
        #expect(self.refusal(.taskRead, node) == nil)
        #expect(self.refusal(.outputFetch, node)?.contains("user certificate") == true)
    }
}
