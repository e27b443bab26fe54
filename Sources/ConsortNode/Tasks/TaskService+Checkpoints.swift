import ConsortAudit
import ConsortClient
import ConsortPKI
import ConsortSpec
import ConsortTransport
import Crypto
import Foundation
import Logging
import Synchronization
import X509

extension TaskService {
    /// Witness side: what this node last countersigned of the caller's log (`GET /v1/audit/witness`).
    package func witnessed(by caller: VerifiedIdentity) async throws -> WitnessedResponse {
        try await self.authorizeOrRefuse(.auditWitnessed, caller)
        guard let member = caller.memberID else { throw NodeError(.forbidden, "\(caller.subject) is no member") }
        let record = self.witnessRecords.last(of: member)
        return WitnessedResponse(
            node: member.rawValue, size: record?.size ?? 0, root: record.map { Hex.encode($0.root) } ?? "")
    }

    /// Witness side: countersigns another computing party's checkpoint of its own log, once its signature verifies
    /// under that node's verified certificate and, if this node countersigned an earlier checkpoint of that log, an
    /// RFC 9162 consistency proof shows the new one extends it; records that in this node's log. The body is
    /// `{"checkpoint": {...}, "from": SIZE, "proof": [HEX, ...]}` (`from` 0 and no proof for a first checkpoint).
    /// Returns the witness JSON.
    package func witness(_ bytes: [UInt8], by caller: VerifiedIdentity) async throws -> [UInt8] {
        let actor = Self.actor(caller)
        do {
            try self.authorize(.auditWitness, caller)
            let (checkpoint, from, proof) = try Self.witnessRequest(bytes)
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
            return try await self.witnessRecords.lock.withLock {
                if let last = self.witnessRecords.last(of: checkpoint.node) {
                    guard from == last.size else {
                        throw NodeError(
                            .conflict,
                            "the consistency proof must start at \(last.size) entries, the last checkpoint of \(checkpoint.node) this node countersigned, not at \(from)"
                        )
                    }
                    guard
                        MerkleTree.verifyConsistency(
                            size1: UInt64(last.size), size2: UInt64(max(checkpoint.size, 0)), root1: last.root,
                            root2: checkpoint.rootHash, proof: proof)
                    else {
                        throw NodeError(
                            .conflict,
                            "the checkpoint of \(checkpoint.node) at \(checkpoint.size) entries (root \(Hex.encode(checkpoint.rootHash).prefix(16))…) does not extend the one at \(last.size) entries (root \(Hex.encode(last.root).prefix(16))…) this node countersigned: its log was cut or rewritten"
                        )
                    }
                }
                let witness = try checkpoint.witnessed(by: self.node.identity, member: self.node.member)
                _ = try await self.log.append(
                    try AuditDraft(
                        actor: actor, action: .checkpointWitnessed,
                        details: [
                            "node": .string(checkpoint.node.rawValue), "size": .number(JSONNumber(checkpoint.size)),
                            "root": .string(Hex.encode(checkpoint.rootHash)),
                        ]))
                self.witnessRecords.witnessed(
                    checkpoint.node, .init(size: checkpoint.size, root: checkpoint.rootHash))
                return JSONWriter.write(witness.json)
            }
        } catch let error as NodeError {
            try await self.refuse(actor, task: nil, error)
        }
    }

    /// `{"checkpoint": {...}, "from": SIZE, "proof": [HEX, ...]}`, strictly.
    static func witnessRequest(_ bytes: [UInt8]) throws -> (AuditCheckpoint, from: Int64, proof: [[UInt8]]) {
        let request: JSONValue
        do { request = try StrictJSONReader().parse(bytes) } catch {
            throw NodeError(.invalidRequest, "the body is not JSON: \(error)")
        }
        let reader = DocumentReader()
        guard let object = reader.object(request, at: "", required: ["checkpoint", "from", "proof"]),
            let from = reader.integer(object["from"], at: "/from", range: 0...StrictJSONReader.maximumSafeInteger),
            case .array(let items)? = object["proof"], items.count <= 64
        else {
            throw NodeError(
                .invalidRequest,
                "the body must be {\"checkpoint\": {...}, \"from\": SIZE, \"proof\": [HEX, ...]}: \(reader.diagnostics.map(\.description).joined(separator: "; "))"
            )
        }
        let proof = items.compactMap { $0.stringValue.flatMap(Hex.decode) }
        guard proof.count == items.count, proof.allSatisfy({ $0.count == 32 }) else {
            throw NodeError(.invalidRequest, "the proof must be a list of 32-byte hashes in hex")
        }
        let checkpoint: AuditCheckpoint
        do { checkpoint = try AuditCheckpoint(json: object["checkpoint"]!) } catch {
            throw NodeError(.invalidRequest, "the checkpoint is not one: \(error)")
        }
        return (checkpoint, Int64(from), proof)
    }

    /// Origin side: when the log has grown by anything but checkpoint bookkeeping, and the last checkpoint is at least
    /// `interval` old, signs a checkpoint and has every other computing-party node countersign it; stores it with the
    /// witnesses it got. A node that cannot be reached is skipped (the next checkpoint asks again).
    package func checkpointIfGrown(every interval: Duration) async throws {
        let head = try await self.log.store.head()
        guard let since = self.checkpoints.due(size: head.size, interval: interval) else { return }
        let fresh = try await self.log.store.entries(from: since + 1, limit: Int(head.size - since))
        guard fresh.contains(where: { ![.checkpointSigned, .checkpointWitnessed].contains($0.action) }) else { return }
        let (signed, leaves) = try await self.log.checkpointWithLeaves()
        self.checkpoints.taken(size: signed.size + 1)  // its own checkpoint.signed entry follows it
        let client = NodeClient(
            authentication: TLSPeerAuthentication(identity: self.node.identity, verifier: self.node.verifier))
        var checkpoint = signed
        let logger = self.logger
        let witnesses = await withTaskGroup(of: CheckpointWitness?.self) { group in
            for member in self.node.directory.members
            where member.roles.contains(.compute) && member.id != self.node.member {
                guard let endpoint = member.endpoint else { continue }
                group.addTask {
                    do {
                        return try await Self.countersignature(
                            of: signed, leaves: leaves, by: member.id, at: endpoint, client: client)
                    } catch {
                        logger.warning("checkpoint \(signed.size) not countersigned by \(member.id): \(error)")
                        return nil
                    }
                }
            }
            return await group.reduce(into: [CheckpointWitness]()) { if let witness = $1 { $0.append(witness) } }
        }
        checkpoint.witnesses = witnesses.sorted { $0.witness.rawValue < $1.witness.rawValue }
        if !checkpoint.witnesses.isEmpty { try await self.log.store.store(checkpoint) }
    }
}

extension TaskService {
    /// Asks `witness` what it last countersigned of this log, then for its countersignature of `checkpoint` with the
    /// consistency proof from there; checks the countersignature under the witness's verified certificate.
    static func countersignature(
        of checkpoint: AuditCheckpoint, leaves: [MerkleTree.Hash], by witness: MemberID, at endpoint: URL,
        client: NodeClient
    ) async throws -> CheckpointWitness {
        let last = try await client.request(
            .get, "/v1/audit/witness", to: endpoint, node: witness, timeout: .seconds(10))
        guard last.status == 200 else {
            throw NodeError(.unavailable, "GET /v1/audit/witness: \(last.status) \(last.body)")
        }
        let record = try WitnessedResponse.decode(Array(last.body.utf8))
        let from = Int(record.size)
        let proof = from > 0 && from <= leaves.count ? MerkleTree.consistencyProof(size: from, leafHashes: leaves) : []
        let response = try await client.request(
            .post, "/v1/audit/witness", body: checkpoint.witnessRequest(from: Int64(from), proof: proof), to: endpoint,
            node: witness, timeout: .seconds(10))
        guard response.status == 200 else {
            throw NodeError(.unavailable, "POST /v1/audit/witness: \(response.status) \(response.body)")
        }
        let countersignature = try CheckpointWitness(json: StrictJSONReader().parse(Array(response.body.utf8)))
        guard countersignature.witness == witness,
            let key = response.peerChain.first.flatMap({ P256.Signing.PublicKey($0.publicKey) }),
            ES256.isValid(
                p1363: countersignature.signature, for: countersignature.statement(for: checkpoint), publicKey: key)
        else { throw NodeError(.unavailable, "the countersignature of \(witness) does not verify") }
        return countersignature
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
