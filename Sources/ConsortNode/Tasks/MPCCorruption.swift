import Foundation

/// A test hook: a node that cheats in its MPC sessions, for the end-to-end tests of detection and blame
/// (`CONSORT_TEST_MPC_CORRUPT=<name>` in the node's environment). Unset in production, where it is nil.
enum MPCCorruption: String {
    /// The node lies about what it sent in its end-of-session claims.
    case lieInEndClaims = "lie-in-end-claims"

    static let armed = ProcessInfo.processInfo.environment["CONSORT_TEST_MPC_CORRUPT"].flatMap(Self.init(rawValue:))

    /// `deviate:<name>`: the node's engine deviates once as `name` (an actively secure engine's `deviations`).
    static let deviation: String? = {
        guard let value = ProcessInfo.processInfo.environment["CONSORT_TEST_MPC_CORRUPT"], value.hasPrefix("deviate:")
        else { return nil }
        return String(value.dropFirst("deviate:".count))
    }()
}
