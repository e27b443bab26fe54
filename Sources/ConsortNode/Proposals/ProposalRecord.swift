import ConsortClient
import ConsortSpec
import Foundation

/// A proposal as one node keeps it (`proposals/ID.json` in its data directory): the proposal as its proposer's node
/// last sent it — or, on that node, as it stands — and what this node still has to deliver.
struct ProposalRecord: Codable, Sendable {
    var sync: ProposalSync
    /// When this node first had it (ordering of the list).
    var received: String
    /// Why the last submission to the computing parties failed (proposer's node, while it retries).
    var submission: String?
    /// Proposer's node: the revision each named member's node has acknowledged.
    var delivered: [String: Int] = [:]
    /// Another member's node: its member's signature or rejection, until the proposer's node has it.
    var outbox: [ProposalReply] = []
    /// The version before this one, as this node last had it (what the review page compares against).
    var previous: Previous?

    struct Previous: Codable, Sendable {
        var version: Int
        var cts: String
    }

    var jws: MultiSignatureJWS {
        get throws {
            var jws = MultiSignatureJWS(payload: Array(self.sync.cts.utf8))
            jws.signatures = try self.sync.signatures.map {
                try MultiSignatureJWS.Signature(protectedEncoded: $0.protected, signatureEncoded: $0.signature)
            }
            return jws
        }
    }

    /// The SHA-256 of this version's CTS: the task id it becomes.
    var hash: String { MultiSignatureJWS.taskID(of: Array(self.sync.cts.utf8)) }

    var state: ProposalView.State {
        if self.sync.task != nil { return .submitted }
        return self.sync.rejections.contains { $0.version == self.sync.version } ? .rejected : .open
    }
}
