import SwiftASN1
import X509

/// Limits the number of logical intermediates (self-issued re-keys do not count) between leaf and anchor.
struct ChainDepthPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []

    var maximumIntermediates: Int

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let intermediates = Array(chain).dropFirst().dropLast()
        let logical = intermediates.filter { $0.issuer != $0.subject }.count
        guard logical <= self.maximumIntermediates else {
            return PolicyFailure.result(
                .constraintViolation,
                "the chain has \(logical) intermediate CA(s); at most \(self.maximumIntermediates) are allowed"
            )
        }
        return .meetsPolicy
    }
}
