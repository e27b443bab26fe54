import Crypto
import Foundation
import X509

/// A CA key and certificate on disk: the operator (`operator.key` + `operator.pem`) or a member
/// (`member.key` + `member.pem`, the member CA certificate issued by `consort pki admit`).
package struct CertificateAuthority: Sendable {
    package enum Kind: String, Sendable {
        case `operator`
        case member
    }

    package let kind: Kind
    package let certificate: Certificate
    package let privateKey: P256.Signing.PrivateKey
    package let directory: String

    package init(kind: Kind, certificate: Certificate, privateKey: P256.Signing.PrivateKey, directory: String) throws {
        guard certificate.publicKey == Certificate.PublicKey(privateKey.publicKey) else {
            throw PKIError(
                .malformedInput,
                "the key in \(directory) does not belong to its certificate \(certificate.displayName)"
            )
        }
        self.kind = kind
        self.certificate = certificate
        self.privateKey = privateKey
        self.directory = directory
    }

    /// Loads the CA in `directory`: the operator's if `operator.pem` is there, else the member's.
    package static func load(directory: String) throws -> CertificateAuthority {
        let manager = FileManager.default
        let kind: Kind
        if manager.fileExists(atPath: "\(directory)/operator.pem") {
            kind = .operator
        } else if manager.fileExists(atPath: "\(directory)/member.pem") {
            kind = .member
        } else {
            throw PKIError(
                .fileAccess,
                "'\(directory)' holds no CA: expected operator.pem + operator.key (from 'consort pki init-operator') "
                    + "or member.pem + member.key (the member CA certificate from 'consort pki admit' saved as member.pem)"
            )
        }
        let name = kind.rawValue
        let certificate = try PEMFiles.readCertificates("\(directory)/\(name).pem")[0]
        let key = try PEMFiles.readPrivateKey("\(directory)/\(name).key")
        let authority = try CertificateAuthority(
            kind: kind, certificate: certificate, privateKey: key, directory: directory)
        guard case .some(.isCertificateAuthority) = try? certificate.extensions.basicConstraints else {
            throw PKIError(.notAuthority, "\(directory)/\(name).pem is not a CA certificate")
        }
        return authority
    }

    var issuerKey: Certificate.PrivateKey { Certificate.PrivateKey(self.privateKey) }

    /// True if `certificate` was signed by this CA.
    package func issued(_ certificate: Certificate) -> Bool {
        certificate.issuer == self.certificate.subject
            && self.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }
}
