import Crypto
import Foundation

/// ECDSA P-256 with SHA-256: the one signature scheme Consort makes (JWS `ES256`, audit entries, checkpoints).
///
/// Signatures are produced in IEEE P1363 form (r ‖ s, 64 bytes) as JWS requires; both P1363 and DER can be checked.
/// Any malformed encoding simply fails to verify.
package enum ES256 {
    package static func sign(_ message: some DataProtocol, with key: P256.Signing.PrivateKey) throws -> [UInt8] {
        Array(try key.signature(for: message).rawRepresentation)
    }

    package static func isValid(
        p1363 signature: some DataProtocol, for message: some DataProtocol,
        publicKey: P256.Signing.PublicKey
    ) -> Bool {
        guard signature.count == 64, let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else {
            return false
        }
        return publicKey.isValidSignature(parsed, for: message)
    }

    package static func isValid(
        der signature: some DataProtocol, for message: some DataProtocol,
        publicKey: P256.Signing.PublicKey
    ) -> Bool {
        guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
        return publicKey.isValidSignature(parsed, for: message)
    }
}
