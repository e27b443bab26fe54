/// A proposal as a member's node holds it: a draft CTS on its way to being signed by every member it names
/// (`/v1/proposals`). Each version is a new CTS whose SHA-256 (`hash`) is the task id it becomes; a new version voids
/// the signatures of the one before.
package struct ProposalView: Codable, Sendable, Equatable {
    package enum State: String, Codable, Sendable {
        /// Collecting signatures.
        case open
        /// A named member rejected this version; a new version reopens it.
        case rejected
        /// Signed by every required member and accepted by every computing party: it is task `task`.
        case submitted
    }

    /// A named member's refusal of one version, with its reason.
    package struct Rejection: Codable, Sendable, Equatable {
        package var member: String
        package var version: Int
        package var reason: String
        package var at: String

        package init(member: String, version: Int, reason: String, at: String) {
            self.member = member
            self.version = version
            self.reason = reason
            self.at = at
        }
    }

    package var proposal: String
    package var proposer: String
    package var version: Int
    package var hash: String
    package var id: String
    package var title: String
    package var state: State
    /// Members with a valid signature on this version, and required signers still missing.
    package var signed: [String]
    package var missing: [String]
    package var rejections: [Rejection]
    package var task: String?
    /// Why the last submission to the computing parties failed, while it is retried.
    package var submission: String?
    /// The member whose node answers.
    package var node: String

    package init(
        proposal: String, proposer: String, version: Int, hash: String, id: String, title: String, state: State,
        signed: [String], missing: [String], rejections: [Rejection], task: String?, submission: String?, node: String
    ) {
        self.proposal = proposal
        self.proposer = proposer
        self.version = version
        self.hash = hash
        self.id = id
        self.title = title
        self.state = state
        self.signed = signed
        self.missing = missing
        self.rejections = rejections
        self.task = task
        self.submission = submission
        self.node = node
    }
}

/// `GET /v1/proposals`: the proposals this node holds, newest first.
package struct ProposalListResponse: Codable, Sendable, Equatable {
    package var node: String
    package var proposals: [ProposalView]

    package init(node: String, proposals: [ProposalView]) {
        self.node = node
        self.proposals = proposals
    }
}

/// `POST /v1/proposals/{id}/reject`: the version rejected (its hash) and why.
package struct ProposalRejectRequest: Codable, Sendable, Equatable {
    package var version: String
    package var reason: String

    package init(version: String, reason: String) {
        self.version = version
        self.reason = reason
    }
}

/// Between member nodes. `POST /v1/proposals/{id}/sync`: the proposer's node sends its whole proposal to every member the
/// CTS names, after each change. `POST /v1/proposals/{id}/replies`: a named member's node sends its member's
/// signature (a JWS over the version's CTS with that one signature) or rejection to the proposer's node.
package struct ProposalSync: Codable, Sendable, Equatable {
    package var proposal: String
    package var proposer: String
    package var version: Int
    /// Increases with every change at the proposer's node; a node keeps only the newest.
    package var revision: Int
    /// The CTS of this version, with every signature collected so far (JWS JSON serialization; none yet: no
    /// `signatures`).
    package var cts: String
    package var signatures: [Signature]
    package var rejections: [ProposalView.Rejection]
    package var task: String?

    package struct Signature: Codable, Sendable, Equatable {
        package var protected: String
        package var signature: String

        package init(protected: String, signature: String) {
            self.protected = protected
            self.signature = signature
        }
    }

    package init(
        proposal: String, proposer: String, version: Int, revision: Int, cts: String, signatures: [Signature],
        rejections: [ProposalView.Rejection], task: String?
    ) {
        self.proposal = proposal
        self.proposer = proposer
        self.version = version
        self.revision = revision
        self.cts = cts
        self.signatures = signatures
        self.rejections = rejections
        self.task = task
    }
}

/// `POST /v1/proposals/{id}/replies`: one named member's answer to one version (by its hash).
package struct ProposalReply: Codable, Sendable, Equatable {
    package var version: String
    package var signature: ProposalSync.Signature?
    package var rejection: String?

    package init(version: String, signature: ProposalSync.Signature? = nil, rejection: String? = nil) {
        self.version = version
        self.signature = signature
        self.rejection = rejection
    }
}

extension ProposalView: APIBody {}
extension ProposalListResponse: APIBody {}
