import ConsortAudit
import ConsortSpec
import Foundation
import Synchronization

/// Audits the refusals anyone on the network can cause for free — failed or missing TLS handshakes, connection
/// limits — without letting a flood grow the log without bound. Per kind and peer address, up to `detailed`
/// refusals of each window are audited one by one (`request.denied`, with the address and reason), and of those at
/// most `repeats` with the same reason, so distinct failures (another certificate, a revocation) still show up one by
/// one after a flood of identical ones. The rest are counted and audited as one summary entry when the window closes.
/// At most `maximumAddresses` addresses are told apart per window; the others share one summary. So a window adds at
/// most `(maximumAddresses + 1) × kinds × (detailed + 1)` entries, however many connections arrive.
package final class RefusalDigest: Sendable {
    package struct Key: Hashable, Sendable {
        var kind: String
        var address: String
    }

    struct Tally {
        var refused = 0
        var logged = 0
        var reasons: [String: Int] = [:]
    }

    let audits: AuditQueue
    let window: Duration
    let detailed: Int
    let repeats: Int
    let maximumAddresses: Int
    private let state = Mutex<(started: ContinuousClock.Instant, tallies: [Key: Tally])>((.now, [:]))

    package init(
        audits: AuditQueue, window: Duration = .seconds(60), detailed: Int = 10, repeats: Int = 3,
        maximumAddresses: Int = 100
    ) {
        self.audits = audits
        self.window = window
        self.detailed = detailed
        self.repeats = repeats
        self.maximumAddresses = maximumAddresses
    }

    /// A refusal of `kind` (e.g. "TLS handshake", "MPC connection") from `address`; callable from any thread.
    package func refused(_ kind: String, from address: String, reason: String) {
        let logged = self.state.withLock { state -> Bool in
            let known = Set(state.tallies.keys.map(\.address))
            let address = known.contains(address) || known.count < self.maximumAddresses ? address : "other"
            let key = Key(kind: kind, address: address)
            var tally = state.tallies[key, default: Tally()]
            defer { state.tallies[key] = tally }
            tally.refused += 1
            let seen = tally.reasons[reason] ?? 0
            guard tally.logged < self.detailed, seen < self.repeats else { return false }
            tally.reasons[reason] = seen + 1
            tally.logged += 1
            return true
        }
        guard logged else { return }
        self.enqueue(
            kind,
            [("what", .string(kind)), ("address", .string(address)), ("reason", .string(reason))])
    }

    /// Closes the window if it has run its time: one summary entry per kind and address with refusals that were not
    /// audited one by one. Called about once a second by a node loop.
    package func flush(now: ContinuousClock.Instant = .now, force: Bool = false) {
        let closed = self.state.withLock { state -> [Key: Tally]? in
            guard force || now - state.started >= self.window else { return nil }
            defer { state = (now, [:]) }
            return state.tallies
        }
        guard let closed else { return }
        for (key, tally) in closed.sorted(by: { ($0.key.kind, $0.key.address) < ($1.key.kind, $1.key.address) })
        where tally.refused > tally.logged {
            let suppressed = tally.refused - tally.logged
            self.enqueue(
                key.kind,
                [
                    ("what", .string(key.kind)), ("address", .string(key.address)),
                    ("suppressed", .number(JSONNumber(Int64(suppressed)))),
                    ("reason", .string("\(suppressed) more refusals within \(self.window), not logged one by one")),
                ])
        }
    }

    private func enqueue(_ kind: String, _ details: [(String, JSONValue)]) {
        if let draft = try? AuditDraft(
            actor: AuditActor(fingerprint: "-", subject: "unauthenticated TLS peer"), action: .requestDenied,
            details: JSONObject(details))
        {
            self.audits.enqueue(draft)
        }
    }
}
