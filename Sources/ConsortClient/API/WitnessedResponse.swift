/// `GET /v1/audit/witness`: the last checkpoint of the caller's own log that this node countersigned (size 0 and an
/// empty root: none yet). The caller's next checkpoint must come with a consistency proof from it.
package struct WitnessedResponse: Codable, Sendable, Equatable {
    package var node: String
    package var size: Int64
    package var root: String

    package init(node: String, size: Int64, root: String) {
        self.node = node
        self.size = size
        self.root = root
    }
}
