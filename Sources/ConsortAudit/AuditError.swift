/// An error of the audit trail: storage, integrity verification, or input files.
///
/// Equality compares the code only; `description` never includes entry details.
package struct AuditError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable {
            case invalidAddress
            case storage
            case appendOnly
            case malformedEntry
            case integrity
            case invalidProof
            case fileAccess
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// A store address is not `sqlite:PATH`, a path, or `postgres://user@host:port/db`.
        package static let invalidAddress = Code(.invalidAddress)
        /// The database failed or is unreachable.
        package static let storage = Code(.storage)
        /// Something tried to change or delete audit data.
        package static let appendOnly = Code(.appendOnly)
        /// An entry, checkpoint or export line cannot be read.
        package static let malformedEntry = Code(.malformedEntry)
        /// The log does not verify (see `AuditVerificationFailure`).
        package static let integrity = Code(.integrity)
        /// A Merkle inclusion or consistency proof does not verify.
        package static let invalidProof = Code(.invalidProof)
        /// A file could not be read or written.
        package static let fileAccess = Code(.fileAccess)

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
        var text = "AuditError.\(self.code): \(self.message) (\(self.file):\(self.line))"
        if let underlying { text += " underlying: \(String(reflecting: underlying))" }
        return text
    }

    package static func == (lhs: AuditError, rhs: AuditError) -> Bool { lhs.code == rhs.code }
    package func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}
