import Crypto
import Foundation
import SwiftASN1
import X509

/// The system operator's root CA: creates the consortium root and admits members by issuing member CA certificates.
package enum OperatorAuthority {
    /// Creates a self-signed root (CA, pathLen 1, keyCertSign + cRLSign) with a fresh P-256 key.
    package static func createRoot(
        name: String,
        days: Int = 3650,
        now: Date = Date(),
        key: P256.Signing.PrivateKey = P256.Signing.PrivateKey()
    ) throws -> (certificate: Certificate, key: P256.Signing.PrivateKey) {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...64).contains(trimmed.count) else {
            throw PKIError(
                .invalidName, "the operator name must be 1-64 characters (it becomes the root's common name)")
        }
        let subject = try DistinguishedName {
            OrganizationName(trimmed)
            CommonName("\(trimmed) Consort Root CA")
        }
        let (notBefore, notAfter) = try CertificateProfile.validity(days: days, now: now, issuer: nil)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 1))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            CertificateProfile.subjectKeyIdentifier(key.publicKey)
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: SerialNumbers.random(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            issuer: subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        return (certificate, key)
    }

    /// Admits a member: verifies its CSR and issues its member CA certificate (CA, pathLen 0, keyCertSign + cRLSign,
    /// URI `consort://<id>`, a URI name constraint to its own id, an optional DNS name constraint, and its roles).
    package static func admit(
        _ request: CertificateSigningRequest,
        by root: CertificateAuthority,
        roles: Set<MemberRole>,
        days: Int = 365,
        dnsDomain: String? = nil,
        now: Date = Date()
    ) throws -> Certificate {
        guard root.kind == .operator else {
            throw PKIError(
                .notAuthority, "only the operator can admit members: --operator must be the operator directory")
        }
        guard !roles.isEmpty else { throw PKIError(.invalidRole, "a member needs at least one role") }
        let (memberID, organisation) = try MemberRequest.inspect(request)
        guard P256.Signing.PublicKey(request.publicKey) != nil else {
            throw PKIError(.unsupported, "the member key must be ECDSA P-256")
        }
        if let dnsDomain, !ChainProfilePolicy.isValidDNSName(dnsDomain, allowWildcard: false) {
            throw PKIError(.invalidName, "'\(dnsDomain)' is not a valid DNS domain for --dns-domain")
        }
        let subject = try DistinguishedName {
            OrganizationName(organisation)
            CommonName(memberID.rawValue)
        }
        let (notBefore, notAfter) = try CertificateProfile.validity(days: days, now: now, issuer: root.certificate)
        let constraints = NameConstraints(
            permittedDNSDomains: dnsDomain.map { [$0.lowercased()] } ?? [],
            permittedURIDomains: [memberID.rawValue]
        )
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            try Certificate.Extension(constraints, critical: true)
            SubjectAlternativeNames([.uniformResourceIdentifier(ConsortIdentity.member(memberID).uri)])
            MemberRolesExtension(roles)
            CertificateProfile.subjectKeyIdentifier(P256.Signing.PublicKey(request.publicKey)!)
            try CertificateProfile.authorityKeyIdentifier(of: root.certificate)
        }
        return try Certificate(
            version: .v3,
            serialNumber: SerialNumbers.random(),
            publicKey: request.publicKey,
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            issuer: root.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: root.issuerKey
        )
    }
}
