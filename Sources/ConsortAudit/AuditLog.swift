import ConsortPKI
import ConsortSpec
import Crypto
import Synchronization
import X509

/// A node's audit log: seals events into chained, signed entries and appends them with group commit.
///
/// Concurrent `append` calls are batched (group commit): the first caller starts a drainer that writes every waiting
/// event in one transaction, so throughput grows with the number of writers while each caller still returns only once
/// its entry is durable. The drainer is its own task — no caller's cancellation can fail the batch of others, and the
/// caller that started it is free to append again while it runs. When batches show concurrent writers, the drainer
/// waits a moment before the next transaction so the writers it just released can join it.
package final class AuditLog: Sendable {
    package let store: any AuditStore
    package let node: MemberID
    private let key: P256.Signing.PrivateKey
    private let state = Mutex(State())
    /// One checkpoint at a time: two taken at once (the checkpointer and an auditor's head) would both cover the same
    /// size, and a countersignature of one would be stored against the other.
    private let checkpointing = AsyncLock()
    /// Upper bound on entries per transaction.
    static let maximumBatch = 512

    private struct State {
        var pending: [(AuditDraft, Promise)] = []
        var flushing = false
    }

    package init(store: any AuditStore, node: MemberID, key: P256.Signing.PrivateKey) {
        self.store = store
        self.node = node
        self.key = key
    }

    package convenience init(store: any AuditStore, identity: SigningIdentity) throws {
        guard case .some(.node(let node)) = try? ConsortIdentity(uri: Self.uri(identity)) else {
            throw AuditError(
                .malformedEntry, "an audit log is kept by a node: use the node's identity (consort://<member>/node)")
        }
        self.init(store: store, node: node, key: identity.privateKey)
    }

    private static func uri(_ identity: SigningIdentity) -> String {
        guard let names = try? identity.certificate.extensions.subjectAlternativeNames else { return "" }
        for case .uniformResourceIdentifier(let uri) in names { return uri }
        return ""
    }

    /// Appends one event; returns the durable entry.
    @discardableResult
    package func append(_ draft: AuditDraft) async throws -> AuditEntry {
        let promise = Promise()
        let leads = self.state.withLock { state -> Bool in
            state.pending.append((draft, promise))
            if state.flushing { return false }
            state.flushing = true
            return true
        }
        if leads { Task { await self.drain() } }
        return try await promise.value()
    }

    /// Convenience for the common case.
    @discardableResult
    package func record(_ action: AuditAction, by actor: AuditActor, task: String? = nil, details: JSONObject = [:])
        async throws
        -> AuditEntry
    {
        try await self.append(AuditDraft(actor: actor, action: action, taskID: task, details: details))
    }

    /// Pause before the next transaction once writers are known to be concurrent (a fraction of one commit).
    static let gatherDelay: Duration = .microseconds(300)

    private func drain() async {
        var concurrent = false
        while true {
            if concurrent { try? await Task.sleep(for: Self.gatherDelay) }
            let batch = self.state.withLock { state -> [(AuditDraft, Promise)] in
                let batch = Array(state.pending.prefix(Self.maximumBatch))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            concurrent = batch.count > 1
            let drafts = batch.map(\.0)
            let node = self.node
            let key = self.key
            let store = self.store
            let result = await Result(catching: {
                try await store.append(drafts) { head, drafts in
                    var previous = head.hash
                    var seq = head.size
                    return try drafts.map { draft in
                        seq += 1
                        let entry = try AuditEntry.seal(draft, seq: seq, previousHash: previous, node: node, key: key)
                        previous = entry.entryHash
                        return entry
                    }
                }
            })
            switch result {
            case .success(let entries):
                for (index, item) in batch.enumerated() { item.1.resolve(.success(entries[index])) }
            case .failure(let error):
                for item in batch { item.1.resolve(.failure(error)) }
            }
        }
    }

    /// Signs a checkpoint over the whole log as it stands, stores it, and records that in the log.
    package func checkpoint(by actor: AuditActor? = nil) async throws -> AuditCheckpoint {
        try await self.checkpointWithLeaves(by: actor).checkpoint
    }

    /// A checkpoint and the Merkle leaves it covers, read once (the checkpointer proves consistency from them).
    package func checkpointWithLeaves(by actor: AuditActor? = nil) async throws -> (
        checkpoint: AuditCheckpoint, leaves: [MerkleTree.Hash]
    ) {
        try await self.checkpointing.withLock { try await self.unlockedCheckpoint(by: actor) }
    }

    private func unlockedCheckpoint(by actor: AuditActor?) async throws -> (AuditCheckpoint, [MerkleTree.Hash]) {
        let leaves = try await self.store.allEntries().map { MerkleTree.leafHash($0.entryHash) }
        let root = MerkleTree.root(leafHashes: leaves)
        let checkpoint = try AuditCheckpoint.sign(
            node: self.node, size: Int64(leaves.count), rootHash: root, key: self.key)
        try await self.store.store(checkpoint)
        try await self.record(
            .checkpointSigned, by: actor ?? .system(self.node),
            details: [
                "size": .number(JSONNumber(checkpoint.size)), "root": .string(Hex.encode(root)),
            ])
        return (checkpoint, leaves)
    }

    /// A one-shot result slot that an awaiting caller can pick up whether it arrives before or after it is set.
    private final class Promise: Sendable {
        private let state = Mutex<(Result<AuditEntry, any Error>?, CheckedContinuation<AuditEntry, any Error>?)>(
            (nil, nil))

        func resolve(_ result: Result<AuditEntry, any Error>) {
            let continuation = self.state.withLock { state -> CheckedContinuation<AuditEntry, any Error>? in
                if let waiting = state.1 { return waiting }
                state.0 = result
                return nil
            }
            continuation?.resume(with: result)
        }

        func value() async throws -> AuditEntry {
            try await withCheckedThrowingContinuation { continuation in
                let ready = self.state.withLock { state -> Result<AuditEntry, any Error>? in
                    if let result = state.0 { return result }
                    state.1 = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing body.
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
