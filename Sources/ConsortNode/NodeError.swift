/// An error of a service node: configuration, TLS, authorisation, or a refused request.
///
/// Equality compares the code only; `description` is safe to show to the caller (never shares, keys or bodies).
package struct NodeError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable {
            case configuration
            case tls
            case unauthenticated
            case forbidden
            case notFound
            case methodNotAllowed
            case conflict
            case invalidRequest
            case deadlinePassed
            case tooLarge
            case unavailable
            case internalFailure
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// A configuration file or value is missing or wrong.
        package static let configuration = Code(.configuration)
        /// TLS could not be set up or the handshake failed.
        package static let tls = Code(.tls)
        /// The peer presented no acceptable certificate.
        package static let unauthenticated = Code(.unauthenticated)
        /// The peer's verified identity may not do this.
        package static let forbidden = Code(.forbidden)
        /// No such task or resource (or the caller may not know it exists).
        package static let notFound = Code(.notFound)
        /// The path exists, but not for this method.
        package static let methodNotAllowed = Code(.methodNotAllowed)
        /// The request conflicts with the task's state (e.g. a second upload).
        package static let conflict = Code(.conflict)
        /// The request body or parameters are invalid.
        package static let invalidRequest = Code(.invalidRequest)
        /// A deadline of the task has passed.
        package static let deadlinePassed = Code(.deadlinePassed)
        /// The request body is larger than anything the request may carry.
        package static let tooLarge = Code(.tooLarge)
        /// A peer or dependency is unavailable.
        package static let unavailable = Code(.unavailable)
        /// Something failed inside the node.
        package static let internalFailure = Code(.internalFailure)

        package var description: String { self.backing.rawValue }
    }

    package var code: Code
    package var message: String
    package var underlying: (any Error)?
    package var file: String
    package var line: Int

    package init(
        _ code: Code, _ message: String, underlying: (any Error)? = nil, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    package var description: String { self.message }

    package var debugDescription: String {
        var text = "NodeError.\(self.code): \(self.message) (\(self.file):\(self.line))"
        if let underlying { text += " underlying: \(String(reflecting: underlying))" }
        return text
    }

    package static func == (lhs: NodeError, rhs: NodeError) -> Bool { lhs.code == rhs.code }
    package func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}
