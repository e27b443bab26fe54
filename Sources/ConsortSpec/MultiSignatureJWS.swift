import ConsortPKI
import Crypto
import Foundation
import SwiftASN1
import X509

/// A JWS in the general JSON serialization with several signatures (RFC 7515 §7.2.1): one payload — the exact bytes
/// of the signed document — and one ES256 signature per signing member.
///
/// Each protected header carries `alg` (`ES256`), `x5c` (signer certificate and member CA), `consort-member` (the
/// signer's member id), `consort-task` (the SHA-256 of the payload, so a signature moved between documents is named as
/// such) and `consort-signed-at`. Nothing is unprotected.
package struct MultiSignatureJWS: Sendable {
    /// One entry of `signatures`, as received.
    package struct Signature: Sendable {
        package var protectedEncoded: String
        package var protectedBytes: [UInt8]
        package var signatureEncoded: String
        package var signature: [UInt8]
    }

    package var payload: [UInt8]
    /// Signatures as received; `SpecificationVerifier` checks them.
    package var signatures: [Signature]
    let payloadEncoded: String

    package static let headerMember = "consort-member"
    package static let headerTask = "consort-task"
    package static let headerSignedAt = "consort-signed-at"

    /// Lowercase hex SHA-256 of the payload: the task id used everywhere.
    package var taskID: String { Self.taskID(of: self.payload) }

    /// The member each signature's protected header claims, in order (unverified: for messages and tools; the
    /// verifier checks each against its certificate).
    package var claimedMembers: [String] {
        self.signatures.compactMap {
            (try? StrictJSONReader().parse($0.protectedBytes))?[Self.headerMember]?.stringValue
        }
    }

    package static func taskID(of payload: some DataProtocol) -> String { Hex.encode(SHA256.hash(data: payload)) }

    /// A JWS with no signatures yet over `payload`.
    package init(payload: [UInt8]) {
        self.payload = payload
        self.payloadEncoded = Base64URL.encode(payload)
        self.signatures = []
    }

    /// Reads the JSON envelope strictly. Signatures are not checked here (see `SpecificationVerifier`).
    package init(parsing bytes: some Collection<UInt8>) throws {
        let value = try StrictJSONReader().parse(bytes)
        let reader = DocumentReader()
        guard let object = reader.object(value, at: "", required: ["payload", "signatures"]),
            let payloadText = reader.string(
                object["payload"], at: "/payload", length: 0...(StrictJSONReader.defaultMaximumBytes * 2)),
            let entries = reader.array(object["signatures"], at: "/signatures", count: 1...64)
        else {
            throw SpecError(
                .invalidDocument, "not a JWS in JSON serialization with signatures", diagnostics: reader.diagnostics)
        }
        guard let payload = Base64URL.decode(payloadText) else {
            throw SpecError(.invalidDocument, "the JWS payload is not valid base64url")
        }
        var signatures: [Signature] = []
        for (index, entry) in entries.enumerated() {
            let pointer = "/signatures/\(index)"
            guard let fields = reader.object(entry, at: pointer, required: ["protected", "signature"]),
                let protectedText = reader.string(fields["protected"], at: pointer + "/protected", length: 1...65_536),
                let signatureText = reader.string(fields["signature"], at: pointer + "/signature", length: 0...1024)
            else { continue }
            guard let protectedBytes = Base64URL.decode(protectedText), let signature = Base64URL.decode(signatureText)
            else {
                reader.error(pointer, "protected header or signature is not valid base64url")
                continue
            }
            signatures.append(
                .init(
                    protectedEncoded: protectedText, protectedBytes: protectedBytes,
                    signatureEncoded: signatureText, signature: signature))
        }
        guard reader.diagnostics.isEmpty else {
            throw SpecError(.invalidDocument, "the JWS envelope is malformed", diagnostics: reader.diagnostics)
        }
        self.payload = payload
        self.payloadEncoded = payloadText
        self.signatures = signatures
    }

    /// The JWS Signing Input of a signature: `BASE64URL(protected) || '.' || BASE64URL(payload)`.
    package func signingInput(_ signature: Signature) -> [UInt8] {
        Array(signature.protectedEncoded.utf8) + [UInt8(ascii: ".")] + Array(self.payloadEncoded.utf8)
    }

    /// Appends `identity`'s ES256 signature. The payload is never touched.
    package mutating func sign(as identity: SigningIdentity, member: MemberID, at time: Date = Date()) throws {
        let x5c: [JSONValue] = try identity.chain.map { .string(Base64URL.encodeStandard(try Self.der($0))) }
        let header: JSONValue = .object(
            JSONObject([
                ("alg", "ES256"),
                ("x5c", .array(x5c)),
                (Self.headerMember, .string(member.rawValue)),
                (Self.headerTask, .string(self.taskID)),
                (Self.headerSignedAt, .string(DocumentReader.formatTimestamp(time))),
            ]))
        let protectedBytes = JSONWriter.write(header)
        var entry = Signature(
            protectedEncoded: Base64URL.encode(protectedBytes), protectedBytes: protectedBytes,
            signatureEncoded: "", signature: [])
        entry.signature = try ES256.sign(self.signingInput(entry), with: identity.privateKey)
        entry.signatureEncoded = Base64URL.encode(entry.signature)
        self.signatures.append(entry)
    }

    /// The general JSON serialization.
    package func serialized() -> [UInt8] {
        let entries: [JSONValue] = self.signatures.map {
            .object(
                JSONObject([("protected", .string($0.protectedEncoded)), ("signature", .string($0.signatureEncoded))]))
        }
        var bytes = JSONWriter.write(
            .object(JSONObject([("payload", .string(self.payloadEncoded)), ("signatures", .array(entries))])))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}

extension MultiSignatureJWS.Signature {
    /// A signature entry from its two base64url fields (e.g. one member's signature sent on its own).
    package init(protectedEncoded: String, signatureEncoded: String) throws {
        guard let protectedBytes = Base64URL.decode(protectedEncoded),
            let signature = Base64URL.decode(signatureEncoded)
        else { throw SpecError(.invalidDocument, "a signature's protected header or value is not valid base64url") }
        self.init(
            protectedEncoded: protectedEncoded, protectedBytes: protectedBytes, signatureEncoded: signatureEncoded,
            signature: signature)
    }
}
