import Synchronization
import X509

/// An intermediate-certificate store that answers a bounded number of issuer lookups.
///
/// swift-certificates builds chains by depth-first search over every candidate issuer; a peer that sends many
/// certificates with the same subject (x509-limbo's pathological chains) makes that search exponential. Capping the
/// lookups, and the candidates returned per subject, bounds the work a presented chain can cause; legitimate Consort
/// chains need two lookups.
struct BudgetedCertificateStore: CustomCertificateStore {
    final class Budget: Sendable {
        let remaining: Mutex<Int>
        init(_ lookups: Int) { self.remaining = Mutex(lookups) }
        var exhausted: Bool { self.remaining.withLock { $0 <= 0 } }
    }

    /// Legitimate chains have one or two certificates per subject (a CA and its re-keyed or cross-signed twin).
    static let candidatesPerSubject = 8

    private var bySubject: [DistinguishedName: [Certificate]]
    private var all: Set<Certificate>
    let budget: Budget

    init(_ certificates: [Certificate], lookups: Int) {
        self.bySubject = Dictionary(grouping: certificates, by: \.subject)
        self.all = Set(certificates)
        self.budget = Budget(lookups)
    }

    subscript(subject: DistinguishedName) -> [Certificate]? {
        get async {
            let allowed = self.budget.remaining.withLock { remaining -> Bool in
                remaining -= 1
                return remaining >= 0
            }
            return allowed ? self.bySubject[subject].map { Array($0.prefix(Self.candidatesPerSubject)) } : nil
        }
    }

    func contains(_ certificate: Certificate) async -> Bool { self.all.contains(certificate) }

    mutating func append(contentsOf certificates: some Sequence<Certificate>) {
        for certificate in certificates {
            self.bySubject[certificate.subject, default: []].append(certificate)
            self.all.insert(certificate)
        }
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.all == rhs.all && lhs.budget === rhs.budget }
    func hash(into hasher: inout Hasher) { hasher.combine(self.all) }
}
