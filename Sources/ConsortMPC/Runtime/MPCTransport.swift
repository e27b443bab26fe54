/// Moves vectors of 64-bit words between the computing parties of one MPC session.
///
/// Messages between two parties arrive in the order they were sent. Implementations frame each message with the
/// session and a sequence number, bound every receive by a timeout, and fail every pending and later call with
/// `MPCError` (`peerLost`, `timedOut`, `protocolViolation`) once a peer is gone — a session never hangs.
package protocol MPCTransport: Sendable {
    /// This party's index, 0..<parties.
    var party: Int { get }

    /// The number of parties in the session.
    var parties: Int { get }

    /// Sends `words` to `peer`. May wait for the peer to drain earlier messages (backpressure).
    func send(_ words: [UInt64], to peer: Int) async throws

    /// The next message from `peer`.
    func receive(from peer: Int) async throws -> [UInt64]

    /// Ends the session once every party has called it, so none closes a link a peer still reads from.
    func finish() async throws
}
