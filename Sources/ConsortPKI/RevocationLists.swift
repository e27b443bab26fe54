import Foundation
import Synchronization
import X509

/// The CRLs a long-running verifier enforces, replaceable while it runs: a node re-reads its CRL files when they change
/// (an operator drops in the next CRL before the current one's nextUpdate) without a restart.
package final class RevocationLists: Sendable {
    private let lists: Mutex<[CertificateRevocationList]>

    package init(_ lists: [CertificateRevocationList] = []) {
        self.lists = Mutex(lists)
    }

    package var current: [CertificateRevocationList] { self.lists.withLock { $0 } }

    package func replace(with lists: [CertificateRevocationList]) {
        self.lists.withLock { $0 = lists }
    }

    /// Why `lists` cannot serve as complete revocation information for `issuers` at `time`: an issuer without a CRL,
    /// or a CRL that is not its issuer's or not current. Nil when each issuer has a valid, current CRL.
    package static func coverageProblems(
        _ lists: [CertificateRevocationList], issuers: [(name: String, certificate: Certificate)], at time: Date
    ) -> [String] {
        var problems: [String] = []
        for issuer in issuers {
            let candidates = lists.filter { $0.issuer == issuer.certificate.subject }
            if candidates.isEmpty {
                problems.append("no CRL of \(issuer.name) ('\(issuer.certificate.subject)')")
                continue
            }
            let checks = candidates.map { $0.problem(asIssuedBy: issuer.certificate, at: time) }
            if !checks.contains(where: { $0 == nil }) {
                problems.append(
                    "the CRL of \(issuer.name) is unusable: \(checks.compactMap { $0 }.joined(separator: "; "))")
            }
        }
        return problems
    }
}
