import Foundation
import SwiftASN1
import X509

/// Checks every non-anchor certificate of a chain against the CRLs of its issuer (RFC 5280 §6.3).
///
/// A CRL is used only if it is current and verifiably issued by that issuer (see
/// `CertificateRevocationList.problem(asIssuedBy:at:)`). With `requireCompleteCoverage`, every issuer in the chain must
/// have such a CRL — that is how Consort nodes run, so a missing or expired CRL fails closed.
struct RevocationPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []

    var crls: [CertificateRevocationList]
    var validationTime: Date
    var requireCompleteCoverage: Bool

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let certificates = Array(chain)
        for index in certificates.indices.dropLast() {
            let certificate = certificates[index]
            let issuer = certificates[index + 1]
            let candidates = self.crls.filter { $0.issuer == issuer.subject }
            if candidates.isEmpty {
                if self.requireCompleteCoverage {
                    return PolicyFailure.result(
                        .revocationUnavailable,
                        "no CRL from \(issuer.displayName) was supplied, so the revocation status of "
                            + "\(certificate.displayName) is unknown: supply it with --crl or refresh the directory"
                    )
                }
                continue
            }
            var problems: [String] = []
            var usable: [CertificateRevocationList] = []
            for crl in candidates {
                if let problem = crl.problem(asIssuedBy: issuer, at: self.validationTime) {
                    problems.append(problem)
                } else {
                    usable.append(crl)
                }
            }
            guard !usable.isEmpty else {
                return PolicyFailure.result(.revocationUnavailable, problems.first ?? "no usable CRL")
            }
            for crl in usable {
                if let entry = crl.entry(for: certificate.serialNumber), entry.revocationDate <= self.validationTime {
                    let reason = entry.reason.map { " (reason: \($0))" } ?? ""
                    return PolicyFailure.result(
                        .revoked,
                        "\(certificate.displayName) was revoked by \(issuer.displayName) at "
                            + "\(entry.revocationDate.formatted(.iso8601))\(reason)"
                    )
                }
            }
        }
        return .meetsPolicy
    }
}
