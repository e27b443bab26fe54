import ConsortAudit
import ConsortClient
import ConsortPKI
import ConsortSpec
import ConsortTransport
import Crypto
import Foundation
import Synchronization
import X509

extension TaskService {
    /// Witness side: countersigns another computing party's checkpoint of its own log, once its signature verifies
    /// under that node's verified certificate, and records that in this node's log. Returns the witness JSON.
    package func witness(_ bytes: [UInt8], by caller: VerifiedIdentity) async throws -> [UInt8] {
        let actor = Self.actor(caller)
        do {
            try self.authorize(.auditWitness, caller)
            let checkpoint: AuditCheckpoint
            do { checkpoint = try AuditCheckpoint(json: StrictJSONReader().parse(bytes)) } catch {
                throw NodeError(.invalidRequest, "the body is not a checkpoint: \(error)")
            }
            guard caller.memberID == checkpoint.node else {
                throw NodeError(
                    .forbidden,
                    "\(caller.memberID.map { "\($0)" } ?? caller.subject) may only submit checkpoints of its own log, not of \(checkpoint.node)"
                )
            }
            guard let key = caller.chain.first.flatMap({ P256.Signing.PublicKey($0.publicKey) }),
                checkpoint.hasValidSignature(key)
            else {
                throw NodeError(
                    .invalidRequest,
                    "the checkpoint's signature does not verify under the node certificate of \(checkpoint.node)")
            }
            let witness = try checkpoint.witnessed(by: self.node.identity, member: self.node.member)
            _ = try await self.log.append(
                try AuditDraft(
                    actor: actor, action: .checkpointWitnessed,
                    details: [
                        "node": .string(checkpoint.node.rawValue), "size": .number(JSONNumber(checkpoint.size)),
                        "root": .string(Hex.encode(checkpoint.rootHash)),
                    ]))
            return JSONWriter.write(witness.json)
        } catch let error as NodeError {
            try await self.refuse(actor, task: nil, error)
        }
    }

    /// Origin side: when the log has grown by anything but checkpoint bookkeeping, and the last checkpoint is at least
    /// `interval` old, signs a checkpoint and has every other computing-party node countersign it; stores it with the
    /// witnesses it got. A node that cannot be reached is skipped (the next checkpoint asks again).
    package func checkpointIfGrown(every interval: Duration) async throws {
        let head = try await self.log.store.head()
        guard let since = self.checkpoints.due(size: head.size, interval: interval) else { return }
        let fresh = try await self.log.store.entries(from: since + 1, limit: Int(head.size - since))
        guard fresh.contains(where: { ![.checkpointSigned, .checkpointWitnessed].contains($0.action) }) else { return }
        var checkpoint = try await self.log.checkpoint()
        self.checkpoints.taken(size: checkpoint.size + 1)  // its own checkpoint.signed entry follows it
        let client = NodeClient(
            authentication: TLSPeerAuthentication(identity: self.node.identity, verifier: self.node.verifier))
        let signed = checkpoint
        let witnesses = await withTaskGroup(of: CheckpointWitness?.self) { group in
            for member in self.node.directory.members
            where member.roles.contains(.compute) && member.id != self.node.member {
                guard let endpoint = member.endpoint else { continue }
                group.addTask {
                    guard
                        let response = try? await client.request(
                            .post, "/v1/audit/witness", body: JSONWriter.write(signed.json), to: endpoint,
                            node: member.id, timeout: .seconds(10)),
                        response.status == 200,
                        let witness = try? CheckpointWitness(json: StrictJSONReader().parse(Array(response.body.utf8))),
                        witness.witness == member.id,
                        let key = response.peerChain.first.flatMap({ P256.Signing.PublicKey($0.publicKey) }),
                        ES256.isValid(p1363: witness.signature, for: witness.statement(for: signed), publicKey: key)
                    else { return nil }
                    return witness
                }
            }
            return await group.reduce(into: [CheckpointWitness]()) { if let witness = $1 { $0.append(witness) } }
        }
        checkpoint.witnesses = witnesses.sorted { $0.witness.rawValue < $1.witness.rawValue }
        if !checkpoint.witnesses.isEmpty { try await self.log.store.store(checkpoint) }
    }
}

/// When this node last checkpointed its log.
package final class CheckpointSchedule: Sendable {
    private let state = Mutex<(size: Int64, at: ContinuousClock.Instant)?>(nil)

    package init() {}

    /// The size covered by the last checkpoint if a new one may be due now (`nil`: not yet due or nothing new).
    func due(size: Int64, interval: Duration) -> Int64? {
        self.state.withLock { state in
            guard let last = state else { return size > 0 ? 0 : nil }
            return size > last.size && ContinuousClock.now - last.at >= interval ? last.size : nil
        }
    }

    func taken(size: Int64) { self.state.withLock { $0 = (size, ContinuousClock.now) } }
}
