/// RFC 5280 §5.3.1 `CRLReason`.
package enum RevocationReason: Int, CaseIterable, Hashable, Sendable, Codable, CustomStringConvertible {
    case unspecified = 0
    case keyCompromise = 1
    case caCompromise = 2
    case affiliationChanged = 3
    case superseded = 4
    case cessationOfOperation = 5
    case certificateHold = 6
    case removeFromCRL = 8
    case privilegeWithdrawn = 9
    case aaCompromise = 10

    /// The command-line spelling, e.g. `key-compromise`.
    package var name: String {
        switch self {
        case .unspecified: return "unspecified"
        case .keyCompromise: return "key-compromise"
        case .caCompromise: return "ca-compromise"
        case .affiliationChanged: return "affiliation-changed"
        case .superseded: return "superseded"
        case .cessationOfOperation: return "cessation-of-operation"
        case .certificateHold: return "certificate-hold"
        case .removeFromCRL: return "remove-from-crl"
        case .privilegeWithdrawn: return "privilege-withdrawn"
        case .aaCompromise: return "aa-compromise"
        }
    }

    package var description: String { self.name }

    package init(name: String) throws {
        guard let reason = Self.allCases.first(where: { $0.name == name.lowercased() }) else {
            throw PKIError(
                .invalidName,
                "unknown revocation reason '\(name)': use one of \(Self.allCases.map(\.name).joined(separator: ", "))"
            )
        }
        self = reason
    }
}
