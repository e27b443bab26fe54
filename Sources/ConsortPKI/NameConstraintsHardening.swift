import SwiftASN1
import X509

/// Name-constraint checks swift-certificates does not make:
///
/// - a work limit (names × constraints), so a pathological chain cannot make validation quadratic
///   (OpenSSL's many-names/many-constraints cases);
/// - wildcard DNS names against constraints (CVE-2025-61727): `*.example.com` is rejected when an excluded subtree
///   such as `bar.example.com` is one of the names it could stand for, or when no permitted subtree covers every name
///   it could stand for.
enum NameConstraintsHardening {
    static let maximumWork = 1 << 16

    static func check(_ chain: [Certificate]) -> PolicyEvaluationResult {
        guard let leaf = chain.first else { return .meetsPolicy }
        let constraints = chain.dropFirst().compactMap { try? $0.extensions.nameConstraints }
        guard !constraints.isEmpty else { return .meetsPolicy }

        let names = (try? leaf.extensions.subjectAlternativeNames).map { Array($0) } ?? []
        let subjectAttributes = leaf.subject.reduce(0) { $0 + $1.count }
        let constraintCount = constraints.reduce(0) { $0 + $1.permittedSubtrees.count + $1.excludedSubtrees.count }
        guard (names.count + subjectAttributes) * constraintCount <= Self.maximumWork else {
            return PolicyFailure.result(
                .constraintViolation,
                "\(leaf.displayName) has \(names.count + subjectAttributes) names to check against \(constraintCount) "
                    + "name constraints, more than this verifier will evaluate"
            )
        }

        for case .dnsName(let name) in names where name.hasPrefix("*.") {
            let base = String(name.dropFirst(2)).lowercased()
            for constraint in constraints {
                for case .dnsName(let excluded) in constraint.excludedSubtrees {
                    let excluded = excluded.lowercased()
                    // The wildcard stands for exactly one label in front of `base`.
                    if let dot = excluded.firstIndex(of: "."), excluded[excluded.index(after: dot)...] == base {
                        return PolicyFailure.result(
                            .constraintViolation,
                            "\(leaf.displayName) has the wildcard name '\(name)', which could stand for the excluded name '\(excluded)'"
                        )
                    }
                }
                let permittedDNS = constraint.permittedSubtrees.compactMap { subtree -> String? in
                    if case .dnsName(let permitted) = subtree { return permitted.lowercased() }
                    return nil
                }
                if !permittedDNS.isEmpty, !permittedDNS.contains(where: { base == $0 || base.hasSuffix("." + $0) }) {
                    return PolicyFailure.result(
                        .constraintViolation,
                        "\(leaf.displayName) has the wildcard name '\(name)', which could stand for names outside the "
                            + "permitted subtrees \(permittedDNS)"
                    )
                }
            }
        }
        return .meetsPolicy
    }
}
