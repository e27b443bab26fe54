import ConsortPKI
import ConsortSpec
import Crypto
import Foundation

/// One entry of a node's audit log: what happened, who caused it, the hash chain link and the node's signature.
///
/// `entryHash` = SHA-256 of `canonicalBytes` (sorted-key compact JSON of every field but the hash and signature, see
/// `Specs/audit-entry.md`); `signature` = ES256 (P1363) by the node's key over the 32 bytes of `entryHash`.
package struct AuditEntry: Hashable, Sendable {
    package var seq: Int64
    package var time: String
    package var node: MemberID
    package var actor: AuditActor
    package var action: AuditAction
    package var taskID: String?
    /// Canonical JSON text of an object: never data values, shares or keys.
    package var details: String
    package var previousHash: [UInt8]
    package var entryHash: [UInt8]
    package var signature: [UInt8]
    /// The action as stored, when it names none this build knows (an edited entry): `action` is then a placeholder
    /// and the hash is computed over this text, so the verifier reports the entry rather than refusing the whole log.
    package var unknownAction: String? = nil

    package static let formatVersion: Int64 = 1
    package static let genesisHash = [UInt8](repeating: 0, count: 32)

    /// The bytes `entryHash` is computed over: sorted-key compact JSON (`Specs/audit-entry.md`), written directly in
    /// key order because it runs for every entry sealed or verified.
    package var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(320 + self.details.utf8.count + self.actor.subject.utf8.count)
        func key(_ name: StaticString, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        out.append(UInt8(ascii: "{"))
        key("action", first: true)
        JSONWriter.appendString(self.unknownAction ?? self.action.rawValue, to: &out)
        key("actor")
        out.append(UInt8(ascii: "{"))
        key("fingerprint", first: true)
        JSONWriter.appendString(self.actor.fingerprint, to: &out)
        key("subject")
        JSONWriter.appendString(self.actor.subject, to: &out)
        out.append(UInt8(ascii: "}"))
        key("details")
        JSONWriter.appendString(self.details, to: &out)
        key("node")
        JSONWriter.appendString(self.node.rawValue, to: &out)
        key("prev")
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: Hex.encode(self.previousHash).utf8)
        out.append(UInt8(ascii: "\""))
        key("seq")
        out.append(contentsOf: String(self.seq).utf8)
        key("task")
        if let taskID { JSONWriter.appendString(taskID, to: &out) } else { out.append(contentsOf: "null".utf8) }
        key("time")
        JSONWriter.appendString(self.time, to: &out)
        key("v")
        out.append(contentsOf: String(Self.formatVersion).utf8)
        out.append(UInt8(ascii: "}"))
        return out
    }

    package var computedHash: [UInt8] { Array(SHA256.hash(data: self.canonicalBytes)) }

    package func hasValidSignature(_ key: P256.Signing.PublicKey) -> Bool {
        ES256.isValid(p1363: self.signature, for: self.entryHash, publicKey: key)
    }

    /// Seals a draft as entry `seq` after `previousHash`: computes its hash and signs it.
    package static func seal(
        _ draft: AuditDraft,
        seq: Int64,
        previousHash: [UInt8],
        node: MemberID,
        key: P256.Signing.PrivateKey,
        time: String = AuditTime.now()
    ) throws -> AuditEntry {
        var entry = AuditEntry(
            seq: seq, time: time, node: node, actor: draft.actor, action: draft.action, taskID: draft.taskID,
            details: draft.details, previousHash: previousHash, entryHash: [], signature: []
        )
        entry.entryHash = entry.computedHash
        entry.signature = try ES256.sign(entry.entryHash, with: key)
        return entry
    }
}

extension AuditEntry {
    /// The action an entry read from a store or an export has: known, or kept as text (`unknownAction`).
    static func action(_ text: String) -> (AuditAction, unknown: String?) {
        AuditAction(rawValue: text).map { ($0, nil) } ?? (.requestFailed, text)
    }
}

/// An event to append: the log assigns the sequence number, time, chain link and signature.
package struct AuditDraft: Hashable, Sendable {
    package var actor: AuditActor
    package var action: AuditAction
    package var taskID: String?
    package var details: String

    /// `details` must be an object of strings, integers, booleans, nulls, arrays and objects — no fractional numbers,
    /// so its canonical form is unambiguous.
    package init(actor: AuditActor, action: AuditAction, taskID: String? = nil, details: JSONObject = JSONObject())
        throws
    {
        guard Self.isCanonicalizable(.object(details)) else {
            throw AuditError(
                .malformedEntry, "audit details may hold only strings, integers, booleans, arrays and objects")
        }
        self.actor = actor
        self.action = action
        self.taskID = taskID
        self.details = JSONWriter.string(.object(details), sortedKeys: true)
    }

    /// A draft with details already in canonical text (re-sealing stored entries, e.g. in tests and tools).
    package static func unchecked(actor: AuditActor, action: AuditAction, taskID: String?, details: String)
        -> AuditDraft
    {
        AuditDraft(actor: actor, action: action, taskID: taskID, canonicalDetails: details)
    }

    private init(actor: AuditActor, action: AuditAction, taskID: String?, canonicalDetails: String) {
        self.actor = actor
        self.action = action
        self.taskID = taskID
        self.details = canonicalDetails
    }

    private static func isCanonicalizable(_ value: JSONValue) -> Bool {
        switch value {
        case .null, .bool, .string: return true
        case .number(let number): return number.integer != nil
        case .array(let elements): return elements.allSatisfy(Self.isCanonicalizable)
        case .object(let object): return object.members.allSatisfy { Self.isCanonicalizable($0.value) }
        }
    }
}

/// The end of a log: its size and the hash of its last entry.
package struct AuditHead: Hashable, Sendable {
    package var size: Int64
    package var hash: [UInt8]

    package init(size: Int64, hash: [UInt8]) {
        self.size = size
        self.hash = hash
    }

    package static let empty = AuditHead(size: 0, hash: AuditEntry.genesisHash)
}
