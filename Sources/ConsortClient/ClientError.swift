/// An error of a member's client: a node could not be reached or refused, an answer could not be read, or the
/// member's own input or set-up is wrong.
///
/// Equality compares the code only; `description` is safe to show (never keys, shares or input rows).
package struct ClientError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable {
            case unavailable
            case tls
            case refused
            case invalidResponse
            case invalidInput
            case configuration
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// A node could not be reached, or did not answer in time.
        package static let unavailable = Code(.unavailable)
        /// The node's certificate was refused (or it refused ours).
        package static let tls = Code(.tls)
        /// The node answered with an error (`status` holds its HTTP status).
        package static let refused = Code(.refused)
        /// The node's answer is not what the API says.
        package static let invalidResponse = Code(.invalidResponse)
        /// The member's own input is wrong (a CSV, a table name, a task id).
        package static let invalidInput = Code(.invalidInput)
        /// The identity, directory, root or profile cannot be used.
        package static let configuration = Code(.configuration)

        package var description: String { self.backing.rawValue }
    }

    package var code: Code
    package var message: String
    /// The node's HTTP status, for `refused`.
    package var status: Int?
    package var underlying: (any Error)?
    package var file: String
    package var line: Int

    package init(
        _ code: Code, _ message: String, status: Int? = nil, underlying: (any Error)? = nil, file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.status = status
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    package var description: String { self.message }

    package var debugDescription: String {
        var text = "ClientError.\(self.code): \(self.message) (\(self.file):\(self.line))"
        if let underlying { text += " underlying: \(String(reflecting: underlying))" }
        return text
    }

    package static func == (lhs: ClientError, rhs: ClientError) -> Bool { lhs.code == rhs.code }
    package func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}
