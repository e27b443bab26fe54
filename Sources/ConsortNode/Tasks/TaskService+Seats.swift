import ConsortAudit
import ConsortPKI
import ConsortSpec
import ConsortTransport
import Foundation

extension TaskService {
    /// Why `peer` may not take seat `party` of the MPC session `session` (the first 16 bytes of a task id), or nil
    /// when this node knows no task of that session (the connection then waits for it, as before). Asked at the
    /// peer's `hello`, so a node that is not the task's computing party at that index is refused at once and the
    /// refusal is audited against the task, whether or not the session is under way.
    static func seatRefusal(
        session: [UInt8], party: Int, peer: VerifiedIdentity?, tasks: any TaskStore, audits: AuditQueue
    ) async -> String? {
        let prefix = Hex.encode(session)
        guard session.count == 16,
            let live = try? await tasks.records(in: [.accepted, .collectingInputs, .computing, .resultsReady]),
            let record = live.first(where: { $0.id.hasPrefix(prefix) }),
            let cts = try? SpecificationDocument(bytes: record.document).storedSpecification()
        else { return nil }
        let computing = cts.parties.computing
        guard let peer, let member = peer.memberID, computing.indices.contains(party), computing[party] == member else {
            let who = peer?.identity.map { "\($0)" } ?? peer?.subject ?? "an unidentified peer"
            let reason =
                "\(who) may not take part in the MPC session of task \(record.id) as party \(party): that seat is \(computing.indices.contains(party) ? "\(computing[party])'s" : "not one of its \(computing.count)")"
            if let draft = try? AuditDraft(
                actor: peer.map(TaskService.actor) ?? AuditActor(fingerprint: "-", subject: who),
                action: .requestDenied, taskID: record.id,
                details: ["what": .string("MPC connection"), "reason": .string(reason)])
            {
                audits.enqueue(draft)
            }
            return reason
        }
        return nil
    }
}
