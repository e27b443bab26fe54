import ConsortPKI
import Crypto
import Foundation
import SwiftASN1
import X509

/// Builds certificates that Consort's own issuing code refuses to make, to prove the verifier rejects them.
enum CertificateForge {
    static func leaf(
        uri: String,
        issuer: CertificateAuthority,
        extendedKeyUsage: [ExtendedKeyUsage.Usage] = [.serverAuth, .clientAuth],
        isCA: Bool = false,
        notBefore: Date = Date().addingTimeInterval(-60),
        notAfter: Date = Date().addingTimeInterval(86_400),
        key: P256.Signing.PrivateKey = P256.Signing.PrivateKey()
    ) throws -> Certificate {
        let issuerSKI = try require(try issuer.certificate.extensions.subjectKeyIdentifier).keyIdentifier
        let extensions = try Certificate.Extensions {
            if isCA {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            } else {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(extendedKeyUsage)
            }
            SubjectAlternativeNames([.uniformResourceIdentifier(uri)])
            SubjectKeyIdentifier(
                keyIdentifier: ArraySlice(SHA256.hash(data: key.publicKey.x963Representation).prefix(20)))
            AuthorityKeyIdentifier(keyIdentifier: issuerSKI)
        }
        return try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            issuer: issuer.certificate.subject,
            subject: try DistinguishedName { CommonName("forged \(uri)") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(issuer.privateKey)
        )
    }
}

extension Optional {
    func orThrow(_ message: String) throws -> Wrapped {
        guard let self else { throw PKIError(.malformedInput, message) }
        return self
    }
}

/// `#require` for use inside non-test helpers.
func require<T>(_ value: T?, _ message: String = "required value missing") throws -> T {
    try value.orThrow(message)
}
