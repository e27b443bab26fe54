import ConsortPKI
import X509

/// One node's answer to a request a client sent to several: the HTTP status and body as received and, when the node
/// accepted, the decoded value; otherwise why not.
package struct NodeAnswer<Value: Sendable>: Sendable {
    package var member: MemberID
    /// The node's HTTP status (nil: no answer).
    package var status: Int?
    /// The body as received.
    package var body: String
    package var value: Value?
    package var error: ClientError?
    /// The node's certificate chain as verified in the TLS handshake (leaf first).
    package var nodeChain: [Certificate] = []
    package var nodeCertificate: Certificate? { self.nodeChain.first }

    package var succeeded: Bool { self.error == nil && self.value != nil }

    /// Why the node did not give what was asked, in its own words: `refused (409): …`, or what went wrong when it
    /// could not be asked.
    package var refusal: String {
        guard let error = self.error else { return "answered \(self.status.map(String.init) ?? "")" }
        guard let status = self.status else { return "\(error)" }
        let message = (try? APIJSON.decode(ErrorResponse.self, from: Array(self.body.utf8)))?.message ?? "\(error)"
        return "refused (\(status)): \(message)"
    }

    /// The value, or an error saying why the node did not give it.
    package func get() throws -> Value {
        if let value = self.value { return value }
        throw ClientError(.refused, "\(self.member): \(self.refusal)")
    }

    /// `  member: STATUS BODY`, or `  member: what went wrong` when the node gave no answer.
    package var line: String {
        if let status = self.status { return "  \(self.member): \(status) \(self.body)" }
        return "  \(self.member): \(self.error.map { "\($0)" } ?? self.body)"
    }

    init(member: MemberID, status: Int?, body: String, value: Value?, error: ClientError?) {
        self.member = member
        self.status = status
        self.body = body
        self.value = value
        self.error = error
    }

    /// A node that could not be asked.
    static func failed(_ member: MemberID, _ error: ClientError) -> NodeAnswer {
        NodeAnswer(member: member, status: nil, body: "", value: nil, error: error)
    }
}
