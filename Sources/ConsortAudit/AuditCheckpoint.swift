import ConsortPKI
import ConsortSpec
import Crypto
import Foundation
import SwiftASN1
import X509

/// A signed statement of a log's size and Merkle root (RFC 9162 tree over entry hashes), with the countersignatures of
/// other nodes (witnesses). A node cannot later rewrite or truncate the first `size` entries without contradicting it.
package struct AuditCheckpoint: Hashable, Sendable {
    package var node: MemberID
    package var size: Int64
    package var rootHash: [UInt8]
    package var time: String
    /// The node's ES256 signature (P1363) over `statement`.
    package var signature: [UInt8]
    package var witnesses: [CheckpointWitness]

    /// What the node signs: `consort-checkpoint/1\n` followed by the sorted-key JSON of node, root, size and time.
    package var statement: [UInt8] {
        Array("consort-checkpoint/1\n".utf8) + JSONWriter.write(self.statementObject, sortedKeys: true)
    }

    var statementObject: JSONValue {
        .object(
            JSONObject([
                ("node", .string(self.node.rawValue)),
                ("size", .number(JSONNumber(self.size))),
                ("root", .string(Hex.encode(self.rootHash))),
                ("time", .string(self.time)),
            ]))
    }

    package static func sign(
        node: MemberID, size: Int64, rootHash: [UInt8], key: P256.Signing.PrivateKey,
        time: String = AuditTime.now()
    ) throws -> AuditCheckpoint {
        var checkpoint = AuditCheckpoint(
            node: node, size: size, rootHash: rootHash, time: time, signature: [], witnesses: [])
        checkpoint.signature = try ES256.sign(checkpoint.statement, with: key)
        return checkpoint
    }

    package func hasValidSignature(_ key: P256.Signing.PublicKey) -> Bool {
        ES256.isValid(p1363: self.signature, for: self.statement, publicKey: key)
    }

    /// Countersigns this checkpoint as `identity` (another node).
    package func witnessed(by identity: SigningIdentity, member: MemberID, time: String = AuditTime.now()) throws
        -> CheckpointWitness
    {
        var witness = CheckpointWitness(
            witness: member, time: time, signature: [],
            chain: try identity.chain.map { try Self.der($0) }
        )
        witness.signature = try ES256.sign(witness.statement(for: self), with: identity.privateKey)
        return witness
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    // MARK: JSON form (checkpoint files, API)

    /// The body of `POST /v1/audit/witness` asking another node to countersign this checkpoint: the size of the last
    /// checkpoint it countersigned (`from`) and the RFC 9162 consistency proof from there.
    package func witnessRequest(from: Int64, proof: [[UInt8]]) -> [UInt8] {
        JSONWriter.write(
            .object(
                JSONObject([
                    ("checkpoint", self.json), ("from", .number(JSONNumber(from))),
                    ("proof", .array(proof.map { .string(Hex.encode($0)) })),
                ])))
    }

    package var json: JSONValue {
        var object = self.statementObject.objectValue!
        object["signature"] = .string(Hex.encode(self.signature))
        object["witnesses"] = .array(self.witnesses.map(\.json))
        return .object(object)
    }

    package init(
        node: MemberID, size: Int64, rootHash: [UInt8], time: String, signature: [UInt8], witnesses: [CheckpointWitness]
    ) {
        self.node = node
        self.size = size
        self.rootHash = rootHash
        self.time = time
        self.signature = signature
        self.witnesses = witnesses
    }

    package init(json value: JSONValue) throws {
        let reader = DocumentReader()
        guard
            let object = reader.object(
                value, at: "", required: ["node", "size", "root", "time", "signature"], optional: ["witnesses"]),
            let node = reader.string(object["node"], at: "/node", length: 1...63).flatMap({ try? MemberID($0) }),
            let size = reader.integer(
                object["size"], at: "/size", range: 0...Int64(StrictJSONReader.maximumSafeInteger)),
            let root = reader.string(object["root"], at: "/root", length: 64...64).flatMap(Hex.decode),
            let time = reader.string(
                object["time"], at: "/time", length: 27...27, rule: AuditTime.isValid,
                ruleDescription: "is not an audit time"),
            let signature = reader.string(object["signature"], at: "/signature", length: 128...128).flatMap(Hex.decode)
        else {
            throw AuditError(
                .malformedEntry, "not a checkpoint: \(reader.diagnostics.map(\.description).joined(separator: "; "))")
        }
        let witnesses = try (object["witnesses"]?.arrayValue ?? []).map(CheckpointWitness.init(json:))
        self.init(node: node, size: size, rootHash: root, time: time, signature: signature, witnesses: witnesses)
    }

    package static func read(_ path: String) throws -> AuditCheckpoint {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw AuditError(.fileAccess, "cannot read '\(path)': \(error.localizedDescription)", underlying: error)
        }
        return try AuditCheckpoint(json: StrictJSONReader().parse(data))
    }
}

/// Another node's countersignature of a checkpoint, with its certificate chain so anyone holding the operator root
/// can verify it.
package struct CheckpointWitness: Hashable, Sendable {
    package var witness: MemberID
    package var time: String
    package var signature: [UInt8]
    /// DER certificates: the witness node's certificate, then its member CA.
    package var chain: [[UInt8]]

    /// What the witness signs: `consort-witness/1\n` followed by the sorted-key JSON of the checkpoint statement (with
    /// the node's signature), the witness and the time.
    package func statement(for checkpoint: AuditCheckpoint) -> [UInt8] {
        var signed = checkpoint.statementObject.objectValue!
        signed["signature"] = .string(Hex.encode(checkpoint.signature))
        let object: JSONValue = .object(
            JSONObject([
                ("checkpoint", .object(signed)), ("witness", .string(self.witness.rawValue)),
                ("time", .string(self.time)),
            ]))
        return Array("consort-witness/1\n".utf8) + JSONWriter.write(object, sortedKeys: true)
    }

    package func certificates() throws -> [Certificate] {
        try self.chain.map { try Certificate(derEncoded: $0) }
    }

    package var json: JSONValue {
        .object(
            JSONObject([
                ("witness", .string(self.witness.rawValue)),
                ("time", .string(self.time)),
                ("signature", .string(Hex.encode(self.signature))),
                ("x5c", .array(self.chain.map { .string(Base64URL.encodeStandard($0)) })),
            ]))
    }

    package init(witness: MemberID, time: String, signature: [UInt8], chain: [[UInt8]]) {
        self.witness = witness
        self.time = time
        self.signature = signature
        self.chain = chain
    }

    package init(json value: JSONValue) throws {
        let reader = DocumentReader()
        guard let object = reader.object(value, at: "", required: ["witness", "time", "signature", "x5c"]),
            let witness = reader.string(object["witness"], at: "/witness", length: 1...63).flatMap({ try? MemberID($0) }
            ),
            let time = reader.string(object["time"], at: "/time", length: 27...27),
            let signature = reader.string(object["signature"], at: "/signature", length: 128...128).flatMap(Hex.decode),
            let x5c = reader.array(object["x5c"], at: "/x5c", count: 1...3)
        else {
            throw AuditError(
                .malformedEntry,
                "not a checkpoint witness: \(reader.diagnostics.map(\.description).joined(separator: "; "))")
        }
        let chain = try x5c.map { value -> [UInt8] in
            guard let text = value.stringValue, let der = Base64URL.decodeStandard(text) else {
                throw AuditError(.malformedEntry, "a witness certificate is not base64 DER")
            }
            return der
        }
        self.init(witness: witness, time: time, signature: signature, chain: chain)
    }
}
