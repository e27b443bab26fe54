/// An error of the transport layer: TLS could not be set up, or a peer could not be reached.
///
/// Equality compares the code only; `description` is safe to show (never keys or message bodies).
package struct TransportError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable {
            case tls
            case unavailable
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// TLS could not be set up with an identity, or a handshake was refused.
        package static let tls = Code(.tls)
        /// A peer could not be reached or did not answer in time.
        package static let unavailable = Code(.unavailable)

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
        var text = "TransportError.\(self.code): \(self.message) (\(self.file):\(self.line))"
        if let underlying { text += " underlying: \(String(reflecting: underlying))" }
        return text
    }

    package static func == (lhs: TransportError, rhs: TransportError) -> Bool { lhs.code == rhs.code }
    package func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}
