import SwiftASN1
import X509

/// What the leaf certificate is being used for: required extended key usages and key usage bits.
///
/// An end-entity certificate must state its purposes (CABF BR 7.1.2.7.6: a certificate without an EKU would be good
/// for any purpose, which Consort's key separation forbids); an EKU is satisfied only by the listed purpose, never by
/// `anyExtendedKeyUsage`; a leaf's EKU must not be critical (Web PKI); an intermediate that carries an EKU must also
/// allow the purpose.
struct UsagePolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []

    var extendedKeyUsages: [ASN1ObjectIdentifier]
    var keyUsage: KeyUsage?

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let leaf = chain.leaf
        let name = leaf.displayName
        guard let ekuExtension = leaf.extensions[oid: .X509ExtensionID.extendedKeyUsage] else {
            if case .some(.isCertificateAuthority) = try? leaf.extensions.basicConstraints {
                return self.checkKeyUsage(leaf)
            }
            let required = self.extendedKeyUsages.isEmpty ? "" : "; \(self.purposes) is required"
            return PolicyFailure.result(
                .wrongUsage,
                "\(name) has no extended key usage: an end-entity certificate must state its purposes\(required)"
            )
        }
        if ekuExtension.critical {
            return PolicyFailure.result(.wrongUsage, "\(name) marks its extended key usage critical")
        }
        guard let eku = try? ExtendedKeyUsage(ekuExtension) else {
            return PolicyFailure.result(.malformedInput, "\(name) has a malformed extended key usage")
        }
        if !self.extendedKeyUsages.isEmpty && eku.contains(.any) {
            return PolicyFailure.result(
                .wrongUsage, "\(name) carries anyExtendedKeyUsage, which end-entity certificates may not")
        }
        for required in self.extendedKeyUsages where !eku.contains(ExtendedKeyUsage.Usage(oid: required)) {
            return PolicyFailure.result(
                .wrongUsage,
                "\(name) is not allowed for \(Self.purposeName(required)) (its extended key usage is \(Self.describe(eku)))"
            )
        }
        for intermediate in Array(chain).dropFirst().dropLast() {
            guard let intermediateEKU = try? intermediate.extensions.extendedKeyUsage else { continue }
            for required in self.extendedKeyUsages
            where !intermediateEKU.contains(ExtendedKeyUsage.Usage(oid: required)) {
                return PolicyFailure.result(
                    .wrongUsage, "intermediate \(intermediate.displayName) does not allow \(Self.purposeName(required))"
                )
            }
        }
        return self.checkKeyUsage(leaf)
    }

    private func checkKeyUsage(_ leaf: Certificate) -> PolicyEvaluationResult {
        guard let required = self.keyUsage else { return .meetsPolicy }
        guard let present = try? leaf.extensions.keyUsage else {
            return PolicyFailure.result(.wrongUsage, "\(leaf.displayName) has no key usage; \(required) is required")
        }
        let pairs: [(Bool, Bool, String)] = [
            (required.digitalSignature, present.digitalSignature, "digitalSignature"),
            (required.nonRepudiation, present.nonRepudiation, "nonRepudiation"),
            (required.keyEncipherment, present.keyEncipherment, "keyEncipherment"),
            (required.dataEncipherment, present.dataEncipherment, "dataEncipherment"),
            (required.keyAgreement, present.keyAgreement, "keyAgreement"),
            (required.keyCertSign, present.keyCertSign, "keyCertSign"),
            (required.cRLSign, present.cRLSign, "cRLSign"),
        ]
        for (needed, has, bit) in pairs where needed && !has {
            return PolicyFailure.result(.wrongUsage, "\(leaf.displayName) lacks the key usage \(bit)")
        }
        return .meetsPolicy
    }

    private var purposes: String { self.extendedKeyUsages.map(Self.purposeName).joined(separator: " + ") }

    static func purposeName(_ oid: ASN1ObjectIdentifier) -> String {
        switch oid {
        case .ExtendedKeyUsage.serverAuth: return "TLS server authentication (serverAuth)"
        case .ExtendedKeyUsage.clientAuth: return "TLS client authentication (clientAuth)"
        default: return oid.description
        }
    }

    private static func describe(_ eku: ExtendedKeyUsage) -> String {
        let names = eku.map { usage -> String in
            switch usage {
            case .serverAuth: return "serverAuth"
            case .clientAuth: return "clientAuth"
            case .any: return "anyExtendedKeyUsage"
            default: return "\(usage)"
            }
        }
        return names.isEmpty ? "empty" : names.joined(separator: ", ")
    }
}
