import Foundation
import SwiftASN1
import X509

/// Builds and validates a certificate chain against trusted roots with RFC 5280 path validation (swift-certificates)
/// plus the checks swift-certificates leaves out: certificate profile, key usage, extended key usage, CRL revocation,
/// chain depth and optionally the server name.
///
/// It is generic — x509-limbo runs through it — and `ConsortVerifier` layers Consort's identity rules on top.
package struct ChainVerifier: Sendable {
    /// What the leaf is checked for.
    package struct Usage: Sendable {
        package var extendedKeyUsages: [ASN1ObjectIdentifier]
        package var keyUsage: KeyUsage?
        /// Whether the certificate being verified may itself be a CA (checking a member CA, not using it as a peer).
        package var allowsCertificateAuthority: Bool

        package init(
            extendedKeyUsages: [ASN1ObjectIdentifier],
            keyUsage: KeyUsage?,
            allowsCertificateAuthority: Bool = false
        ) {
            self.extendedKeyUsages = extendedKeyUsages
            self.keyUsage = keyUsage
            self.allowsCertificateAuthority = allowsCertificateAuthority
        }

        /// No particular purpose.
        package static let any = Usage(extendedKeyUsages: [], keyUsage: nil)
    }

    /// The name a TLS server certificate must match.
    package enum ServerName: Sendable {
        case dns(String)
        case ip(String)
    }

    package var roots: [Certificate]
    package var intermediates: [Certificate]
    package var crls: [CertificateRevocationList]
    package var requireCompleteRevocation: Bool
    package var usage: Usage
    package var serverName: ServerName?
    package var maximumIntermediates: Int?

    package init(
        roots: [Certificate],
        intermediates: [Certificate] = [],
        crls: [CertificateRevocationList] = [],
        requireCompleteRevocation: Bool = false,
        usage: Usage = .any,
        serverName: ServerName? = nil,
        maximumIntermediates: Int? = nil
    ) {
        self.roots = roots
        self.intermediates = intermediates
        self.crls = crls
        self.requireCompleteRevocation = requireCompleteRevocation
        self.usage = usage
        self.serverName = serverName
        self.maximumIntermediates = maximumIntermediates
    }

    /// Issuer lookups allowed per validation; see `BudgetedCertificateStore`.
    static let issuerLookupBudget = 64

    /// Validates `leaf` at `time` (floored to whole seconds, the granularity of X.509 validity).
    /// Returns the chain from leaf to trusted root, or throws a `PKIError` naming the first problem.
    package func validate(leaf: Certificate, at time: Date = Date()) async throws -> [Certificate] {
        let time = Date(timeIntervalSince1970: (time.timeIntervalSince1970).rounded(.down))
        let serverName = self.serverName
        var verifier = Verifier(rootCertificates: CertificateStore(self.roots)) {
            ChainProfilePolicy(
                validationTime: time, allowsCertificateAuthorityLeaf: self.usage.allowsCertificateAuthority)
            UsagePolicy(
                extendedKeyUsages: self.usage.extendedKeyUsages,
                keyUsage: self.usage.keyUsage
            )
            if let maximumIntermediates {
                ChainDepthPolicy(maximumIntermediates: maximumIntermediates)
            }
            // In place of swift-certificates' RFC5280Policy, whose version, validity and basic-constraints checks
            // ChainProfilePolicy makes with clearer messages, and whose name-constraints check is replaced.
            NameConstraintsPolicy()
            if let serverName {
                ServerNamePolicy()
                switch serverName {
                case .dns(let name): ServerIdentityPolicy(serverHostname: name, serverIP: nil)
                case .ip(let address): ServerIdentityPolicy(serverHostname: nil, serverIP: address)
                }
            }
            RevocationPolicy(
                crls: self.crls, validationTime: time, requireCompleteCoverage: self.requireCompleteRevocation)
        }
        let store = BudgetedCertificateStore(self.intermediates, lookups: Self.issuerLookupBudget)
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(custom: store))
        switch result {
        case .validCertificate(let chain):
            return Array(chain)
        case .couldNotValidate(let failures):
            if store.budget.exhausted {
                throw PKIError(
                    .untrusted,
                    "gave up building a chain for \(leaf.displayName) after \(Self.issuerLookupBudget) issuer lookups: "
                        + "the presented intermediates are pathological"
                )
            }
            throw Self.error(for: failures, leaf: leaf)
        }
    }

    private static func error(for failures: [CertificateValidationResult.PolicyFailure], leaf: Certificate) -> PKIError
    {
        // Prefer the failure of the longest candidate chain: it got furthest towards a trusted root.
        guard let failure = failures.max(by: { $0.chain.count < $1.chain.count }) else {
            return PKIError(
                .untrusted,
                "\(leaf.displayName) does not chain to a trusted root (issuer '\(leaf.issuer)'): check that it was "
                    + "issued under this consortium's operator root and that the intermediate (member CA) certificate "
                    + "is included"
            )
        }
        let reason = failure.policyFailureReason.description
        if let (code, message) = PolicyFailure.decode(reason) {
            return PKIError(Self.code(named: code), message)
        }
        return PKIError(.constraintViolation, Self.summarise(reason))
    }

    private static func code(named name: String) -> PKIError.Code {
        let codes: [PKIError.Code] = [
            .invalidMemberID, .invalidName, .invalidRole, .malformedInput, .badSignature, .outsideNamespace,
            .notAuthority, .untrusted, .expired, .notYetValid, .wrongUsage, .revoked, .revocationUnavailable,
            .constraintViolation, .unsupported,
        ]
        return codes.first { $0.description == name } ?? .constraintViolation
    }

    /// The one swift-certificates policy left (`ServerIdentityPolicy`) embeds whole certificate descriptions in its
    /// reasons; keep the sentence, drop the dump.
    private static func summarise(_ reason: String) -> String {
        var text = reason
        if let range = text.range(of: "Certificate(") {
            text = String(text[..<range.lowerBound]).trimmingCharacters(in: .whitespaces)
            text += " (a certificate in the chain)"
        }
        return "the certificate does not match the expected server name: \(text)"
    }
}
