/// `GET /v1/health`: the node's member, and the caller as the node verified it.
package struct HealthResponse: Codable, Sendable, Equatable {
    package var member: String
    package var status: String
    package var peer: String

    package init(member: String, status: String = "ok", peer: String) {
        self.member = member
        self.status = status
        self.peer = peer
    }
}
