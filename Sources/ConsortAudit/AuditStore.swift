import ConsortPKI

/// Durable storage of one node's audit log and of checkpoints (its own and those of peers it witnessed).
///
/// Implementations keep the log append-only (a database trigger refuses UPDATE and DELETE) and serialise appends so
/// that concurrent writers, even in several processes, never produce a gap or a fork. `AuditStoreConformance` in the
/// tests holds every implementation to the same behaviour.
package protocol AuditStore: Sendable {
    /// Appends `drafts` as the next entries in one transaction: reads the current head, lets `seal` turn the drafts
    /// into chained, signed entries, writes them, commits. Returns the entries once they are durable.
    func append(
        _ drafts: [AuditDraft],
        seal: @escaping @Sendable (AuditHead, [AuditDraft]) throws -> [AuditEntry]
    ) async throws -> [AuditEntry]

    /// The size of the log and the hash of its last entry.
    func head() async throws -> AuditHead

    /// Up to `limit` entries with sequence numbers ≥ `seq`, in sequence order, exactly as stored.
    func entries(from seq: Int64, limit: Int) async throws -> [AuditEntry]

    /// Stores a checkpoint (this node's or a peer's); storing the same one again adds only new witnesses.
    func store(_ checkpoint: AuditCheckpoint) async throws

    /// Checkpoints of `node` (all nodes if nil), smallest size first, with their witnesses.
    func checkpoints(of node: MemberID?) async throws -> [AuditCheckpoint]

    /// Releases connections.
    func close() async throws
}

extension AuditStore {
    /// Every entry, paging through the store.
    package func allEntries(pageSize: Int = 10_000) async throws -> [AuditEntry] {
        var result: [AuditEntry] = []
        var next: Int64 = 1
        while true {
            let page = try await self.entries(from: next, limit: pageSize)
            result.append(contentsOf: page)
            guard let last = page.last, page.count == pageSize else { return result }
            next = last.seq + 1
        }
    }
}
