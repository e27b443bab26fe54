import ConsortPKI
import Crypto
import Foundation
import X509

/// Verifies a node's audit log: every sequence number, hash-chain link and node signature, every checkpoint against the
/// entries, every witness countersignature. Reports the first failing sequence number and what happened there.
package struct AuditVerifier: Sendable {
    /// How a log was tampered with, as far as the evidence shows.
    package enum FailureKind: String, Sendable, Hashable {
        /// An entry's content no longer matches its hash (or was re-hashed but not re-signed by the node).
        case edited
        /// One or more entries are gone.
        case missing
        /// Entries were moved: an entry sits at a position other than the one it was signed for.
        case reordered
        /// An entry that the node never signed was put into the log.
        case inserted
        /// The log is shorter than a checkpoint the node signed.
        case truncated
        /// The whole chain verifies internally but is signed with a key other than the node's.
        case resigned
        /// An entry's link to its predecessor is broken.
        case brokenLink
        /// A checkpoint or witness signature does not verify.
        case badCheckpoint
        /// An entry claims a different node.
        case wrongNode
    }

    /// The first problem found.
    package struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        package var seq: Int64
        package var kind: FailureKind
        package var message: String
        package var description: String { "entry \(self.seq): \(self.kind.rawValue): \(self.message)" }
    }

    /// A log that verified.
    package struct Summary: Sendable, Hashable {
        package var entries: Int64
        package var head: [UInt8]
        package var checkpoints: Int
        package var witnesses: Int
    }

    package var nodeKey: P256.Signing.PublicKey
    package var node: MemberID
    /// Verifies witnesses' certificates; nil skips witness chain verification (signatures are still checked).
    package var certificates: ConsortVerifier?

    package init(nodeKey: P256.Signing.PublicKey, node: MemberID, certificates: ConsortVerifier?) {
        self.nodeKey = nodeKey
        self.node = node
        self.certificates = certificates
    }

    /// A verifier for the node whose certificate chain is `nodeChain`, verified against `root` at `time` (for an old
    /// log, the time of its last entry: the certificate must have been valid while the node wrote it).
    package static func forNode(chain nodeChain: [Certificate], root: Certificate, at time: Date = Date()) async throws
        -> AuditVerifier
    {
        let verifier = ConsortVerifier(root: root)
        let identity = try await verifier.verify(chain: nodeChain, usage: .server, at: time)
        guard case .some(.node(let node)) = identity.identity, let key = P256.Signing.PublicKey(nodeChain[0].publicKey)
        else {
            throw AuditError(.integrity, "the certificate given for the log is not a node certificate")
        }
        return AuditVerifier(nodeKey: key, node: node, certificates: verifier)
    }

    package func verify(entries: [AuditEntry], checkpoints: [AuditCheckpoint]) async -> Result<Summary, Failure> {
        if let failure = await self.verifyChain(entries) { return .failure(failure) }
        let ownCheckpoints = checkpoints.filter { $0.node == self.node }
        var witnessCount = 0
        if !ownCheckpoints.isEmpty {
            let leaves = entries.map { MerkleTree.leafHash($0.entryHash) }
            for checkpoint in ownCheckpoints.sorted(by: { $0.size < $1.size }) {
                if let failure = await self.verify(checkpoint, leaves: leaves) { return .failure(failure) }
                witnessCount += checkpoint.witnesses.count
            }
        }
        return .success(
            Summary(
                entries: Int64(entries.count), head: entries.last?.entryHash ?? AuditEntry.genesisHash,
                checkpoints: ownCheckpoints.count, witnesses: witnessCount))
    }

    // MARK: Chain

    private func verifyChain(_ entries: [AuditEntry]) async -> Failure? {
        // Signatures dominate the cost: check them in parallel first, then walk the chain in order.
        let signatureValid = await self.checkSignatures(entries)
        var previous = AuditEntry.genesisHash
        var expected: Int64 = 1
        for (index, entry) in entries.enumerated() {
            func fail(_ kind: FailureKind, _ message: String, at seq: Int64? = nil) -> Failure {
                Failure(seq: seq ?? expected, kind: kind, message: message)
            }
            if entry.seq > expected {
                return fail(
                    .missing,
                    "the log jumps from entry \(expected - 1) to entry \(entry.seq): "
                        + (entry.seq - expected == 1
                            ? "entry \(expected) is missing" : "entries \(expected)–\(entry.seq - 1) are missing"))
            }
            if entry.seq < expected {
                return fail(.reordered, "entry \(entry.seq) appears again after entry \(expected - 1)")
            }
            if entry.node != self.node {
                return fail(.wrongNode, "the entry names node \(entry.node), but this is the log of \(self.node)")
            }
            let next = index + 1 < entries.count ? entries[index + 1] : nil
            if let unknown = entry.unknownAction, entry.computedHash != entry.entryHash {
                return fail(.edited, "its action was changed to '\(unknown)', which is no action Consort writes")
            }
            if entry.computedHash != entry.entryHash {
                // Was this content signed for another position? Then rows were moved, removed or added.
                if let next, Self.matches(next, asSeq: expected) {
                    if Self.matches(entry, asSeq: expected + 1) {
                        return fail(.reordered, "entries \(expected) and \(expected + 1) were swapped")
                    }
                    return fail(
                        .inserted,
                        "this entry was not written by the node: the next row holds the original entry \(expected)")
                }
                for distance in 1...8 {
                    if Self.matches(entry, asSeq: expected + Int64(distance)) {
                        return fail(
                            .missing,
                            "this row holds entry \(expected + Int64(distance)): \(distance) entr\(distance == 1 ? "y was" : "ies were") removed before it and the rest renumbered"
                        )
                    }
                    if expected - Int64(distance) >= 1, Self.matches(entry, asSeq: expected - Int64(distance)) {
                        return fail(
                            .reordered, "this row holds entry \(expected - Int64(distance)), moved from its position")
                    }
                }
                return fail(
                    .edited, "the content of the entry does not match its hash: it was changed after it was written")
            }
            if entry.previousHash != previous {
                if let next, Self.matches(next, asSeq: expected), next.previousHash == previous {
                    return fail(
                        .inserted,
                        "an entry the node never wrote was inserted here; the original entry \(expected) follows it")
                }
                return fail(.brokenLink, "the entry does not link to the hash of entry \(expected - 1)")
            }
            if !signatureValid[index] {
                if index == 0 && signatureValid.allSatisfy({ !$0 }) {
                    return fail(
                        .resigned,
                        "no entry is signed by the node's key: the whole log was rebuilt and signed with another key")
                }
                if let next, Self.matches(next, asSeq: expected) {
                    return fail(
                        .inserted,
                        "an entry the node never signed was inserted here; the original entry \(expected) follows it")
                }
                if let next, next.previousHash != entry.entryHash {
                    return fail(
                        .edited,
                        "the entry was changed and re-hashed, but it is not signed by the node and its successor still links to the original"
                    )
                }
                return fail(
                    .inserted, "the entry is not signed by the node's key: it was inserted or re-signed by someone else"
                )
            }
            previous = entry.entryHash
            expected += 1
        }
        return nil
    }

    /// True if `entry` with sequence number `seq` hashes to its stored hash.
    static func matches(_ entry: AuditEntry, asSeq seq: Int64) -> Bool {
        var moved = entry
        moved.seq = seq
        return moved.computedHash == entry.entryHash
    }

    private func checkSignatures(_ entries: [AuditEntry]) async -> [Bool] {
        let key = self.nodeKey
        let chunk = max(1_000, entries.count / (ProcessInfo.processInfo.activeProcessorCount * 2) + 1)
        return await withTaskGroup(of: (Int, [Bool]).self) { group in
            for start in stride(from: 0, to: entries.count, by: chunk) {
                let slice = Array(entries[start..<min(start + chunk, entries.count)])
                group.addTask { (start, slice.map { $0.hasValidSignature(key) }) }
            }
            var result = [Bool](repeating: false, count: entries.count)
            for await (start, flags) in group {
                result.replaceSubrange(start..<start + flags.count, with: flags)
            }
            return result
        }
    }

    // MARK: Checkpoints

    private func verify(_ checkpoint: AuditCheckpoint, leaves: [MerkleTree.Hash]) async -> Failure? {
        let at = checkpoint.size
        guard checkpoint.hasValidSignature(self.nodeKey) else {
            return Failure(
                seq: at, kind: .badCheckpoint,
                message: "the checkpoint of size \(at) (\(checkpoint.time)) is not signed by the node")
        }
        guard checkpoint.size <= leaves.count else {
            return Failure(
                seq: Int64(leaves.count) + 1, kind: .truncated,
                message:
                    "the log ends after entry \(leaves.count), but the node signed a checkpoint of \(checkpoint.size) entries at \(checkpoint.time)"
            )
        }
        let root = MerkleTree.root(leafHashes: leaves[0..<Int(checkpoint.size)])
        guard root == checkpoint.rootHash else {
            return Failure(
                seq: at, kind: .edited,
                message:
                    "the first \(checkpoint.size) entries no longer match the checkpoint signed at \(checkpoint.time): the log was rewritten"
            )
        }
        for witness in checkpoint.witnesses {
            guard let certificates = try? witness.certificates(), let leaf = certificates.first,
                let key = P256.Signing.PublicKey(leaf.publicKey),
                ES256.isValid(p1363: witness.signature, for: witness.statement(for: checkpoint), publicKey: key)
            else {
                return Failure(
                    seq: at, kind: .badCheckpoint,
                    message: "the countersignature of \(witness.witness) on checkpoint \(at) does not verify")
            }
            if let verifier = self.certificates {
                let time = AuditTime.date(witness.time) ?? Date()
                do {
                    let identity = try await verifier.verify(chain: certificates, usage: .any, at: time)
                    guard identity.identity == .node(witness.witness) else {
                        return Failure(
                            seq: at, kind: .badCheckpoint,
                            message:
                                "the countersignature on checkpoint \(at) claims \(witness.witness) but its certificate is \(identity.identity?.uri ?? "not a node")"
                        )
                    }
                } catch {
                    return Failure(
                        seq: at, kind: .badCheckpoint,
                        message:
                            "the certificate of witness \(witness.witness) on checkpoint \(at) does not verify: \(error)"
                    )
                }
            }
        }
        return nil
    }
}
