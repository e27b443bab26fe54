import ConsortPKI
import ConsortSpec
import Foundation

/// Proposals, on the member's own node (`/v1/proposals`): draft, review, sign with this identity, reject.
extension MemberClient {
    /// The member this identity belongs to, whose node holds its proposals.
    package func ownMember() async throws -> MemberID {
        let verified: VerifiedIdentity
        do {
            verified = try await ConsortVerifier(root: self.root).verify(chain: self.identity.chain, usage: .client)
        } catch {
            throw ClientError(.configuration, "the identity does not verify under the operator root: \(error)")
        }
        guard let member = verified.memberID, self.directory.member(member)?.endpoint != nil else {
            throw ClientError(
                .configuration,
                "\(verified.memberID.map { "member \($0)" } ?? verified.subject) has no node in the directory: proposals live on the member's own node"
            )
        }
        return member
    }

    /// A new proposal of `cts`, or a new version of proposal `revising`.
    package func propose(_ cts: [UInt8], revising: String? = nil) async throws -> NodeAnswer<ProposalView> {
        let path = revising.map { "/v1/proposals/\($0)/versions" } ?? "/v1/proposals"
        return await self.ask(.post, path, body: cts, of: try await self.ownMember(), as: ProposalView.self)
    }

    package func proposals() async throws -> NodeAnswer<ProposalListResponse> {
        await self.ask(.get, "/v1/proposals", of: try await self.ownMember(), as: ProposalListResponse.self)
    }

    package func proposal(_ id: String) async throws -> NodeAnswer<ProposalView> {
        await self.ask(.get, "/v1/proposals/\(id)", of: try await self.ownMember(), as: ProposalView.self)
    }

    /// The current version's CTS bytes exactly as proposed (what a signature covers), and the proposal.
    package func proposalDraft(_ id: String) async throws -> (view: ProposalView, cts: [UInt8]) {
        let member = try await self.ownMember()
        let view = try await self.ask(.get, "/v1/proposals/\(id)", of: member, as: ProposalView.self).get()
        let document = try await self.ask(.get, "/v1/proposals/\(id)/document", of: member, as: RawBody.self).get()
        // The document is the bare CTS while nobody has signed, the JWS with the signatures after.
        let cts = (try? MultiSignatureJWS(parsing: document.bytes))?.payload ?? document.bytes
        guard MultiSignatureJWS.taskID(of: cts) == view.hash else {
            throw ClientError(.invalidResponse, "the node's document of proposal \(id) is not version \(view.version)")
        }
        return (view, cts)
    }

    /// Signs the current version (checked against `expectedHash` when given) with this identity, on the own node.
    package func signProposal(_ id: String, expectedHash: String? = nil) async throws -> NodeAnswer<ProposalView> {
        let member = try await self.ownMember()
        let (view, cts) = try await self.proposalDraft(id)
        if let expectedHash, expectedHash != view.hash {
            throw ClientError(
                .refused,
                "proposal \(id) is now version \(view.version) (\(view.hash)), not the \(expectedHash) you reviewed")
        }
        var jws = MultiSignatureJWS(payload: cts)
        try jws.sign(as: self.identity, member: member)
        return await self.ask(
            .post, "/v1/proposals/\(id)/sign", body: jws.serialized(), of: member, as: ProposalView.self)
    }

    package func rejectProposal(_ id: String, reason: String) async throws -> NodeAnswer<ProposalView> {
        let member = try await self.ownMember()
        let view = try await self.ask(.get, "/v1/proposals/\(id)", of: member, as: ProposalView.self).get()
        let body = try APIJSON.encode(ProposalRejectRequest(version: view.hash, reason: reason))
        return await self.ask(.post, "/v1/proposals/\(id)/reject", body: body, of: member, as: ProposalView.self)
    }
}
