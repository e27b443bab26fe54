import ConsortAudit
import ConsortPKI
import ConsortSpec
import Synchronization

/// What this node last countersigned of each other node's log, read from its own log at start-up
/// (`checkpoint.witnessed` entries) and kept up to date as it witnesses. A new checkpoint of a peer is countersigned
/// only with an RFC 9162 consistency proof from this one, so a peer that cut or rewrote its history cannot have it
/// countersigned again.
package final class WitnessRecords: Sendable {
    package struct Record: Sendable, Equatable {
        package var size: Int64
        package var root: [UInt8]
    }

    private let records = Mutex<[MemberID: Record]>([:])
    /// One countersignature at a time, so that two checkpoints of a peer cannot both extend the same record.
    let lock = AsyncLock()

    package init() {}

    /// Reads every `checkpoint.witnessed` entry of `log`, in order: the last per node stands.
    package func load(from store: any AuditStore, batch: Int = 10_000) async throws {
        var loaded: [MemberID: Record] = [:]
        var next: Int64 = 1
        while true {
            let entries = try await store.entries(from: next, limit: batch)
            for entry in entries {
                guard let record = AuditDirectoryVerifier.Countersigned(entry, witness: ""),
                    let node = try? MemberID(record.node), let root = Hex.decode(record.root)
                else { continue }
                loaded[node] = Record(size: record.size, root: root)
            }
            guard let last = entries.last, entries.count == batch else { break }
            next = last.seq + 1
        }
        self.records.withLock { $0 = loaded }
    }

    package func last(of node: MemberID) -> Record? { self.records.withLock { $0[node] } }

    func witnessed(_ node: MemberID, _ record: Record) { self.records.withLock { $0[node] = record } }
}
