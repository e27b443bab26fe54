import Crypto
import Foundation
import X509

/// A private key with its certificate chain (leaf first, then the member CA), as `consort pki issue` writes them:
/// `DIR/NAME.key` and `DIR/NAME.pem`.
package struct SigningIdentity: Sendable {
    package var privateKey: P256.Signing.PrivateKey
    package var chain: [Certificate]

    package var certificate: Certificate { self.chain[0] }

    package init(privateKey: P256.Signing.PrivateKey, chain: [Certificate]) throws {
        guard let leaf = chain.first else {
            throw PKIError(.malformedInput, "an identity needs at least one certificate")
        }
        guard leaf.publicKey == Certificate.PublicKey(privateKey.publicKey) else {
            throw PKIError(
                .malformedInput,
                "the private key does not belong to the certificate \(leaf.subject): check that the .key and .pem files "
                    + "come from the same 'consort pki issue'"
            )
        }
        self.privateKey = privateKey
        self.chain = chain
    }

    /// Loads `PATH.key` + `PATH.pem` for `--identity PATH` (a trailing `.pem` or `.key` on PATH is ignored).
    package static func load(identity path: String) throws -> SigningIdentity {
        var base = path
        for suffix in [".pem", ".key"] where base.hasSuffix(suffix) {
            base.removeLast(suffix.count)
        }
        return try Self.load(key: base + ".key", certificate: base + ".pem")
    }

    /// Loads a key file and a PEM chain file (`--key` and `--cert`).
    package static func load(key keyPath: String, certificate certificatePath: String) throws -> SigningIdentity {
        let key = try PEMFiles.readPrivateKey(keyPath)
        let chain = try PEMFiles.readCertificates(certificatePath)
        return try SigningIdentity(privateKey: key, chain: chain)
    }

    /// Writes `DIR/NAME.key` (mode 0600) and `DIR/NAME.pem` (the chain).
    package func write(directory: String, name: String) throws {
        try PEMFiles.writePrivateKey(self.privateKey, to: "\(directory)/\(name).key")
        try PEMFiles.write(try PEMFiles.pem(self.chain), to: "\(directory)/\(name).pem")
    }
}
