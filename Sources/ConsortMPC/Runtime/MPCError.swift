/// An error of the MPC engine: a peer lost, timed out or violated the protocol, or inputs outside what an operation
/// supports. A session that throws is aborted on every party.
///
/// Equality compares the code only; `description` never contains shares or values.
package struct MPCError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable {
            case peerLost
            case timedOut
            case protocolViolation
            case inconsistentShares
            case invalidArgument
            case sessionSetup
            case cancelled
            case disputed
            case cheatingDetected
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// A peer's connection closed or its process died.
        package static let peerLost = Code(.peerLost)
        /// A peer sent nothing within the round timeout.
        package static let timedOut = Code(.timedOut)
        /// A peer sent something the protocol does not allow (wrong session, round, size).
        package static let protocolViolation = Code(.protocolViolation)
        /// Replicated shares that must agree do not: a share was tampered with.
        package static let inconsistentShares = Code(.inconsistentShares)
        /// An operation was called with arguments it does not support (lengths, bit widths).
        package static let invalidArgument = Code(.invalidArgument)
        /// Keys or channels could not be set up.
        package static let sessionSetup = Code(.sessionSetup)
        /// The session was stopped on purpose: a halt or a deadline.
        package static let cancelled = Code(.cancelled)
        /// Two parties' records of what they sent each other differ: one of the two deviated (the pair is named).
        package static let disputed = Code(.disputed)
        /// An actively secure engine's check failed: a party deviated from the protocol (the message names who may
        /// have; `Specs/engines.md` says what can be attributed).
        package static let cheatingDetected = Code(.cheatingDetected)

        package var description: String { self.backing.rawValue }

        /// The code a description names (as abort frames and party reports carry it), if any.
        package init?(description: String) {
            guard let backing = Backing(rawValue: description) else { return nil }
            self.backing = backing
        }
    }

    package var code: Code
    package var message: String
    /// The computing parties one of which deviated, as far as this party can tell (a failed check); empty otherwise.
    package var suspects: [Int]
    package var file: String
    package var line: Int

    package init(_ code: Code, _ message: String, suspects: [Int] = [], file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.suspects = suspects
        self.file = file
        self.line = line
    }

    package var description: String { self.message }
    package var debugDescription: String { "MPCError.\(self.code): \(self.message) (\(self.file):\(self.line))" }

    package static func == (lhs: MPCError, rhs: MPCError) -> Bool { lhs.code == rhs.code }
    package func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}
