import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// Structural rules of RFC 5280 and the Web PKI, applied to every candidate chain (index 0 is the leaf, the last
/// certificate is the trust anchor): version, validity, serial number, basic constraints and path length, key
/// identifiers, key usage against CA-ness, extension syntax and key strength. Name constraints are
/// `NameConstraintsPolicy`'s.
///
/// Every rule is stated with its source in `Policies/certificate-profiles.md`; where x509-limbo expects otherwise, the
/// rule is named in `Policies/x509-limbo-exceptions.json`.
struct ChainProfilePolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.basicConstraints,
        .X509ExtensionID.keyUsage,
        .X509ExtensionID.extendedKeyUsage,
        .X509ExtensionID.subjectAlternativeName,
        .X509ExtensionID.nameConstraints,
        Self.policyConstraints,
        Self.certificatePolicies,
    ]

    static let policyConstraints: ASN1ObjectIdentifier = [2, 5, 29, 36]
    static let certificatePolicies: ASN1ObjectIdentifier = [2, 5, 29, 32]

    var validationTime: Date
    var allowsCertificateAuthorityLeaf = false

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let certificates = Array(chain)
        var nonSelfIssuedIntermediates = 0
        for (index, certificate) in certificates.enumerated() {
            let isLeaf = index == 0
            let isAnchor = index == certificates.count - 1
            let result = self.check(certificate, isLeaf: isLeaf, isAnchor: isAnchor)
            if case .failsToMeetPolicy = result { return result }

            // Path length: a CA's pathLen bounds the non-self-issued intermediates below it.
            if !isLeaf,
                case .some(.isCertificateAuthority(.some(let maxPathLength))) = try? certificate.extensions
                    .basicConstraints,
                maxPathLength < nonSelfIssuedIntermediates
            {
                return PolicyFailure.result(
                    .constraintViolation,
                    "\(certificate.displayName) allows at most \(maxPathLength) intermediate CA(s) below it, but the "
                        + "chain has \(nonSelfIssuedIntermediates)"
                )
            }
            if !isLeaf && !isAnchor && certificate.issuer != certificate.subject {
                nonSelfIssuedIntermediates += 1
            }
        }
        return .meetsPolicy
    }

    private func check(_ certificate: Certificate, isLeaf: Bool, isAnchor: Bool) -> PolicyEvaluationResult {
        let name = certificate.displayName
        guard certificate.version == .v3 else {
            return PolicyFailure.result(.constraintViolation, "\(name) is not an X.509 version 3 certificate")
        }
        // Validity, with messages that name the certificate and the dates.
        if certificate.notValidBefore > certificate.notValidAfter {
            return PolicyFailure.result(
                .constraintViolation, "\(name) has a validity period that ends before it starts")
        }
        if self.validationTime < certificate.notValidBefore {
            return PolicyFailure.result(
                .notYetValid,
                "\(name) is not valid until \(Self.format(certificate.notValidBefore)) (checked at \(Self.format(self.validationTime)))"
            )
        }
        if self.validationTime > certificate.notValidAfter {
            return PolicyFailure.result(
                .expired,
                "\(name) expired at \(Self.format(certificate.notValidAfter)) (checked at \(Self.format(self.validationTime)))"
            )
        }
        // Serial numbers are positive and at most 20 octets (RFC 5280 §4.1.2.2); one octet more is tolerated, as the
        // RFC asks of certificate users, because 160 random bits with a sign octet are a common issuer's mistake.
        let serial = certificate.serialNumber
        if !isAnchor && (SerialNumbers.encodedLength(serial) > 21 || serial.bytes.allSatisfy({ $0 == 0 })) {
            return PolicyFailure.result(.constraintViolation, "\(name) has an invalid serial number (zero or too long)")
        }

        var seen = Set<ASN1ObjectIdentifier>()
        for ext in certificate.extensions where !seen.insert(ext.oid).inserted {
            return PolicyFailure.result(.constraintViolation, "\(name) contains the extension \(ext.oid) twice")
        }

        let extensions = certificate.extensions
        let basicConstraints: BasicConstraints?
        let keyUsage: KeyUsage?
        let extendedKeyUsage: ExtendedKeyUsage?
        let authorityKeyIdentifier: AuthorityKeyIdentifier?
        let subjectKeyIdentifier: SubjectKeyIdentifier?
        let subjectAlternativeNames: SubjectAlternativeNames?
        do {
            basicConstraints = try extensions.basicConstraints
            keyUsage = try extensions.keyUsage
            extendedKeyUsage = try extensions.extendedKeyUsage
            authorityKeyIdentifier = try extensions.authorityKeyIdentifier
            subjectKeyIdentifier = try extensions.subjectKeyIdentifier
            subjectAlternativeNames = try extensions.subjectAlternativeNames
        } catch {
            return PolicyFailure.result(.malformedInput, "\(name) has a malformed extension: \(error)")
        }
        let isCA: Bool
        if case .some(.isCertificateAuthority) = basicConstraints { isCA = true } else { isCA = false }

        // Extensions whose syntax is SEQUENCE SIZE (1..MAX): present but empty is malformed (RFC 5280 §4.2.1.12,
        // §4.2.2.1), not "no restriction".
        if let extendedKeyUsage, extendedKeyUsage.isEmpty {
            return PolicyFailure.result(.malformedInput, "\(name) has an extended key usage that lists no purpose")
        }
        if extensions[oid: .X509ExtensionID.authorityInformationAccess] != nil {
            guard let access = try? extensions.authorityInformationAccess, !access.isEmpty else {
                return PolicyFailure.result(.malformedInput, "\(name) has a malformed authority information access")
            }
        }

        // Authority and subject key identifiers (RFC 5280 §4.2.1.1, §4.2.1.2).
        if extensions[oid: .X509ExtensionID.authorityKeyIdentifier]?.critical == true {
            return PolicyFailure.result(.constraintViolation, "\(name) marks its authority key identifier critical")
        }
        if extensions[oid: .X509ExtensionID.subjectKeyIdentifier]?.critical == true {
            return PolicyFailure.result(.constraintViolation, "\(name) marks its subject key identifier critical")
        }
        // A trust anchor is an input to path validation (RFC 5280 §6.1.1 (d)): only its name and key are used, so it
        // needs no AKI. A self-signed one that has an AKI must name its own key and nothing else (CABF BR 7.1.2.1.3).
        if isAnchor {
            if certificate.issuer == certificate.subject, let aki = authorityKeyIdentifier {
                if aki.keyIdentifier == nil || aki.authorityCertIssuer != nil || aki.authorityCertSerialNumber != nil {
                    return PolicyFailure.result(
                        .constraintViolation,
                        "\(name) has an authority key identifier with an issuer name or serial, or without a key identifier"
                    )
                }
                if let subjectKeyIdentifier, aki.keyIdentifier != subjectKeyIdentifier.keyIdentifier {
                    return PolicyFailure.result(
                        .constraintViolation, "\(name) is self-signed but its authority key identifier is not its own")
                }
            }
        } else if authorityKeyIdentifier?.keyIdentifier == nil {
            // Required in every certificate a conforming CA issues (RFC 5280 §4.2.1.1).
            return PolicyFailure.result(.constraintViolation, "\(name) has no authority key identifier")
        }
        if !isLeaf && subjectKeyIdentifier == nil {
            return PolicyFailure.result(.constraintViolation, "CA certificate \(name) has no subject key identifier")
        }

        // CA-ness must be consistent across basic constraints and key usage.
        if isLeaf && isAnchor && !isCA {
            return PolicyFailure.result(.notAuthority, "trusted certificate \(name) is not a CA (basic constraints)")
        }
        if isLeaf {
            if isCA && !isAnchor && !self.allowsCertificateAuthorityLeaf {
                return PolicyFailure.result(
                    .wrongUsage, "\(name) is a CA certificate and cannot be used as an end-entity certificate")
            }
            if let keyUsage, keyUsage.keyCertSign, !isCA {
                return PolicyFailure.result(
                    .constraintViolation, "\(name) may sign certificates (keyCertSign) but is not a CA")
            }
            if extensions[oid: .X509ExtensionID.nameConstraints] != nil, !isCA {
                return PolicyFailure.result(
                    .constraintViolation, "\(name) is an end-entity certificate with name constraints")
            }
        } else {
            guard isCA else {
                return PolicyFailure.result(
                    .notAuthority, "\(name) issued a certificate in the chain but is not a CA (basic constraints)"
                )
            }
            if extensions[oid: .X509ExtensionID.basicConstraints]?.critical != true {
                return PolicyFailure.result(
                    .constraintViolation, "CA certificate \(name) does not mark basic constraints critical")
            }
            if let keyUsage, !keyUsage.keyCertSign {
                return PolicyFailure.result(
                    .notAuthority, "CA certificate \(name) may not sign certificates (no keyCertSign)")
            }
            if certificate.subject.isEmpty {
                return PolicyFailure.result(.constraintViolation, "CA certificate \(name) has an empty subject")
            }
            if isAnchor, extendedKeyUsage != nil {
                return PolicyFailure.result(
                    .constraintViolation, "root certificate \(name) carries an extended key usage")
            }
            if let nameConstraints = extensions[oid: .X509ExtensionID.nameConstraints] {
                if !nameConstraints.critical {
                    return PolicyFailure.result(
                        .constraintViolation, "\(name) does not mark its name constraints critical")
                }
                if let parsed = try? NameConstraints(nameConstraints) {
                    if parsed.permittedSubtrees.isEmpty && parsed.excludedSubtrees.isEmpty {
                        return PolicyFailure.result(.constraintViolation, "\(name) has empty name constraints")
                    }
                    for case .dnsName(let constraint) in parsed.permittedSubtrees + parsed.excludedSubtrees
                    where !Self.isValidDNSName(constraint, allowWildcard: false) {
                        return PolicyFailure.result(
                            .constraintViolation, "\(name) has an invalid DNS name constraint '\(constraint)'"
                        )
                    }
                }
            }
        }
        if let policyConstraints = extensions[oid: Self.policyConstraints], !policyConstraints.critical {
            return PolicyFailure.result(.constraintViolation, "\(name) does not mark its policy constraints critical")
        }

        // Subject alternative names: critical exactly when the subject is empty; DNS names must be valid host names.
        if let sanExtension = extensions[oid: .X509ExtensionID.subjectAlternativeName] {
            if certificate.subject.isEmpty && !sanExtension.critical {
                return PolicyFailure.result(
                    .constraintViolation, "\(name) has an empty subject but a non-critical subject alternative name")
            }
            if !certificate.subject.isEmpty && sanExtension.critical {
                return PolicyFailure.result(
                    .constraintViolation, "\(name) has a subject but marks its subject alternative name critical")
            }
            for case .dnsName(let dns) in subjectAlternativeNames ?? SubjectAlternativeNames()
            where !Self.isValidDNSName(dns) {
                return PolicyFailure.result(.constraintViolation, "\(name) has an invalid DNS name '\(dns)'")
            }
            for case .rfc822Name(let address) in subjectAlternativeNames ?? SubjectAlternativeNames()
            where !Self.isValidMailbox(address) {
                return PolicyFailure.result(.constraintViolation, "\(name) has an invalid e-mail address '\(address)'")
            }
        } else if isLeaf && certificate.subject.isEmpty {
            return PolicyFailure.result(
                .constraintViolation, "\(name) has neither a subject nor subject alternative names")
        }

        if let problem = Self.keyProblem(certificate.publicKey) {
            return PolicyFailure.result(.unsupported, "\(name): \(problem)")
        }
        return .meetsPolicy
    }

    /// A DNS name: labels of letters, digits and '-', optionally a leading '*' label (wildcard), not an IP address.
    static func isValidDNSName(_ name: String, allowWildcard: Bool = true) -> Bool {
        var labels = name.split(separator: ".", omittingEmptySubsequences: false)
        if labels.last == "" { labels.removeLast() }
        guard !labels.isEmpty, name.utf8.count <= 253 else { return false }
        if allowWildcard && labels.first == "*" && labels.count > 1 { labels.removeFirst() }
        if labels.allSatisfy({ $0.allSatisfy(\.isNumber) }) { return false }
        return labels.allSatisfy { label in
            let bytes = Array(label.utf8)
            guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-")
            else {
                return false
            }
            return bytes.allSatisfy {
                ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39)
                    || $0 == UInt8(ascii: "-")
            }
        }
    }

    /// An rfc822Name mailbox: one '@' between a non-empty local part and a host name (RFC 5280 §4.2.1.6 takes the
    /// addr-spec of RFC 5322 without quoting, which a certificate's mailbox has no use for).
    static func isValidMailbox(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && Self.isValidDNSName(String(parts[1]), allowWildcard: false)
    }

    /// Web PKI key strength (CABF BR 6.1.5): ECDSA on P-256/P-384/P-521, Ed25519, RSA of at least 2048 bits whose
    /// modulus is a whole number of octets.
    static func keyProblem(_ key: Certificate.PublicKey) -> String? {
        guard let rsa = _RSA.Signing.PublicKey(key) else { return nil }
        if rsa.keySizeInBits < 2048 {
            return "its RSA key has \(rsa.keySizeInBits) bits; at least 2048 are required"
        }
        if rsa.keySizeInBits % 8 != 0 {
            return "its RSA modulus has \(rsa.keySizeInBits) bits, not a multiple of 8"
        }
        return nil
    }

    private static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
