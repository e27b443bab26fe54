import ConsortPKI
import Crypto
import X509

/// A computing party's signed statement, at the end of an MPC session, of what it sent one peer and received from it
/// (SHA-256 digests of the messages: `Specs/wire-protocol.md`, "Transcripts"). Carried in the `end` frame, recorded in
/// the receiving node's audit log, checked by `audit verify`.
package struct EndClaim: Sendable, Equatable {
    package static let length = 32 + 32 + 64
    package var sent: [UInt8]
    package var received: [UInt8]
    /// ES256 (P1363) over `statement(…)`.
    package var signature: [UInt8]

    package init(sent: [UInt8], received: [UInt8], signature: [UInt8]) {
        self.sent = sent
        self.received = received
        self.signature = signature
    }

    /// What is signed: the context, the session, who claims towards whom, and the two digests.
    package static func statement(session: [UInt8], from: Int, to: Int, sent: [UInt8], received: [UInt8]) -> [UInt8] {
        Array("consort-mpc-end/1".utf8) + session + [UInt8(from), UInt8(to)] + sent + received
    }

    package static func signed(
        session: [UInt8], from: Int, to: Int, sent: [UInt8], received: [UInt8], key: P256.Signing.PrivateKey
    ) throws -> EndClaim {
        let signature = try ES256.sign(
            Self.statement(session: session, from: from, to: to, sent: sent, received: received), with: key)
        return EndClaim(sent: sent, received: received, signature: signature)
    }

    /// Whether `certificate`'s key signed this claim of party `from` towards `to` in `session`.
    package func isSigned(by certificate: Certificate, session: [UInt8], from: Int, to: Int) -> Bool {
        guard let key = P256.Signing.PublicKey(certificate.publicKey) else { return false }
        return ES256.isValid(
            p1363: self.signature,
            for: Self.statement(session: session, from: from, to: to, sent: self.sent, received: self.received),
            publicKey: key)
    }

    package var bytes: [UInt8] { self.sent + self.received + self.signature }

    package init?(bytes: [UInt8]) {
        guard bytes.count == Self.length else { return nil }
        self.init(sent: Array(bytes[0..<32]), received: Array(bytes[32..<64]), signature: Array(bytes[64...]))
    }
}
