import Foundation

/// `GET /v1/health`: the node's member, the caller as the node verified it, and the node's clock (so a peer's
/// `node check` can measure the skew between them).
package struct HealthResponse: Codable, Sendable, Equatable {
    package var member: String
    package var status: String
    package var peer: String
    /// Seconds since 1970-01-01T00:00:00Z when the node answered.
    package var time: Double

    package init(member: String, status: String = "ok", peer: String, time: Date = Date()) {
        self.member = member
        self.status = status
        self.peer = peer
        self.time = (time.timeIntervalSince1970 * 1000).rounded() / 1000
    }
}
