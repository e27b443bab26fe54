import Crypto
import Foundation
import SwiftASN1
import X509

/// The certificate profiles of Consort's PKI (`Policies/certificate-profiles.md`): what each kind of certificate
/// carries. All keys are ECDSA P-256, all signatures ECDSA with SHA-256, all serial numbers 20 random bytes.
package enum CertificateProfile {
    /// RFC 7093 method 1: the leftmost 160 bits of the SHA-256 of the subjectPublicKey bits.
    static func keyIdentifier(_ key: P256.Signing.PublicKey) -> ArraySlice<UInt8> {
        ArraySlice(SHA256.hash(data: key.x963Representation).prefix(20))
    }

    static func subjectKeyIdentifier(_ key: P256.Signing.PublicKey) -> SubjectKeyIdentifier {
        SubjectKeyIdentifier(keyIdentifier: Self.keyIdentifier(key))
    }

    static func authorityKeyIdentifier(of issuer: Certificate) throws -> AuthorityKeyIdentifier {
        guard let ski = try issuer.extensions.subjectKeyIdentifier else {
            throw PKIError(.notAuthority, "issuer \(issuer.displayName) has no subject key identifier")
        }
        return AuthorityKeyIdentifier(keyIdentifier: ski.keyIdentifier)
    }

    /// Clamps a requested validity to the issuer's, so no certificate outlives the CA that vouches for it.
    static func validity(days: Int, now: Date, issuer: Certificate?) throws -> (Date, Date) {
        guard days > 0 && days <= 36_500 else {
            throw PKIError(.invalidName, "validity of \(days) days is out of range: use 1 to 36500")
        }
        // Backdate by a minute to tolerate small clock differences between machines.
        let start = now.addingTimeInterval(-60)
        var end = now.addingTimeInterval(TimeInterval(days) * 86_400)
        if let issuer, end > issuer.notValidAfter { end = issuer.notValidAfter }
        return (start, end)
    }

    /// The member id and organisation name recorded in a member CA certificate.
    package static func memberIdentity(of memberCA: Certificate) throws -> (MemberID, String) {
        let uris = try Self.uris(of: memberCA)
        guard uris.count == 1, case .member(let id) = try ConsortIdentity(uri: uris[0]) else {
            throw PKIError(
                .notAuthority, "\(memberCA.displayName) is not a Consort member CA (no consort://<member> name)")
        }
        let organisation = memberCA.subject.organisationName ?? id.rawValue
        return (id, organisation)
    }

    static func uris(of certificate: Certificate) throws -> [String] {
        guard let names = try certificate.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { if case .uniformResourceIdentifier(let uri) = $0 { return uri } else { return nil } }
    }
}

extension DistinguishedName {
    /// The first organisation (O) attribute, if any.
    var organisationName: String? {
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.organizationName {
                return String(describing: attribute.value)
            }
        }
        return nil
    }

    /// The first common name (CN) attribute, if any.
    var commonName: String? {
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(describing: attribute.value)
            }
        }
        return nil
    }
}
