import ConsortMPC
import ConsortPKI
import ConsortSpec
import NIOCore

/// The frame rules of one MPC connection (`Specs/wire-protocol.md`) as a pure state machine: it is fed the events of
/// a connection — handshake done, a frame, the connection gone — and answers with what the transport must do. It
/// touches no socket, so every rule is tested with plain values (as postgres-nio's `ConnectionStateMachine`).
struct MPCConnectionStateMachine {
    enum State: Equatable {
        /// Accepted connection: the peer's first frame must be `hello`.
        case awaitingHello
        /// Dialled connection, TLS not yet done.
        case dialling(party: Int)
        /// The peer is party `party`; messages flow.
        case established(party: Int)
        /// The peer sent `end`: it sends nothing more and may close.
        case ended(party: Int)
        /// The connection failed or the peer aborted: every later event is ignored.
        case closed
    }

    /// What the transport does in answer to an event.
    enum Action: Equatable {
        /// Nothing yet (a fragment of a message, a duplicate event).
        case none
        /// The peer is party `party`: attach the connection to it (a second connection of one party is a violation).
        case register(party: Int)
        /// A whole message from `party`.
        case deliver([UInt64], from: Int)
        /// `party` has finished the session, with its signed claim of what it sent and received on this connection.
        case peerEnded(party: Int, claim: EndClaim)
        /// The session fails with `error` (the peer's abort, a violation, or a lost connection); close the connection.
        case fail(MPCError)
        /// Close this connection without failing the session: a peer that never said who it is (a refused handshake,
        /// a port probe) cannot stop a session.
        case close
    }

    private(set) var state: State
    let session: [UInt8]
    /// The member of each party index.
    let members: [MemberID]
    /// The data frames of the message being received, and their size.
    private var fragments: [ByteBuffer] = []
    private var fragmentBytes = 0
    private var nextSequence: UInt64 = 0
    /// When the peer last sent anything (any frame, heartbeats included).
    private var lastHeard: NIODeadline = .distantPast

    /// A connection this party accepted (the peer must say who it is) or dialled to `party`.
    init(session: [UInt8], members: [MemberID], dialled party: Int? = nil) {
        self.session = session
        self.members = members
        self.state = party.map { .dialling(party: $0) } ?? .awaitingHello
    }

    /// "computing party 2 (cp-c)": errors name the member, which the audit log and the operators know.
    func named(_ party: Int) -> String {
        party < self.members.count ? "computing party \(party) (\(self.members[party]))" : "computing party \(party)"
    }

    /// The peer's party, once known.
    var party: Int? {
        switch self.state {
        case .dialling(let party), .established(let party), .ended(let party): return party
        case .awaitingHello, .closed: return nil
        }
    }

    /// TLS is up. A dialled peer is now the party we meant to reach (its certificate was checked in the handshake).
    mutating func handshakeCompleted(now: NIODeadline = .now()) -> Action {
        guard case .dialling(let party) = self.state else { return .none }
        self.state = .established(party: party)
        self.lastHeard = now
        return .register(party: party)
    }

    /// A frame from the peer, whose verified certificate names `verifiedMember`.
    mutating func received(_ frame: MPCFrame.Parsed, verifiedMember: MemberID?, now: NIODeadline = .now()) -> Action {
        if case .closed = self.state { return .none }
        guard frame.session == self.session else {
            return self.fail(.protocolViolation, "a peer sent a frame of another MPC session")
        }
        self.lastHeard = now
        switch (frame.kind, self.state) {
        // Between the fragments of a message, too; one crossing our `end` on the wire is harmless.
        case (.heartbeat, .established), (.heartbeat, .ended):
            return .none
        case (.hello, .awaitingHello):
            var payload = frame.payload
            guard let index = payload.readInteger(as: UInt8.self), Int(index) < self.members.count,
                verifiedMember == self.members[Int(index)]
            else {
                return self.fail(.protocolViolation, "a peer's hello does not match its verified certificate")
            }
            self.state = .established(party: Int(index))
            return .register(party: Int(index))
        case (.hello, _):
            return self.fail(.protocolViolation, "a peer said hello twice, or on a connection it did not open")
        case (.data, .established(let party)), (.dataMore, .established(let party)):
            guard frame.sequence == self.nextSequence else {
                return self.fail(
                    .protocolViolation,
                    "\(self.named(party)) sent frame \(frame.sequence), expected \(self.nextSequence)")
            }
            self.nextSequence += 1
            self.fragments.append(frame.payload)
            self.fragmentBytes += frame.payload.readableBytes
            guard self.fragmentBytes <= 8 * MPCFrame.maximumMessageWords else {
                return self.fail(
                    .protocolViolation,
                    "\(self.named(party)) sent a message over \(MPCFrame.maximumMessageWords) ring elements")
            }
            guard frame.kind == .data else { return .none }
            defer {
                self.fragments.removeAll(keepingCapacity: true)
                self.fragmentBytes = 0
            }
            do { return .deliver(try MPCFrame.words(self.fragments), from: party) } catch let error as MPCError {
                return self.fail(error)
            } catch {
                return self.fail(.protocolViolation, "\(error)")
            }
        case (.end, .established(let party)):
            guard self.fragments.isEmpty else {
                return self.fail(.protocolViolation, "\(self.named(party)) ended the session mid-message")
            }
            guard let claim = EndClaim(bytes: Array(frame.payload.readableBytesView)) else {
                return self.fail(
                    .protocolViolation,
                    "\(self.named(party)) ended the session without a claim of \(EndClaim.length) bytes")
            }
            self.state = .ended(party: party)
            return .peerEnded(party: party, claim: claim)
        case (.abort, .established(let party)), (.abort, .ended(let party)):
            self.state = .closed
            return .fail(MPCFrame.abortReason(frame.payload, from: self.named(party)))
        case (_, .awaitingHello), (_, .dialling):
            return self.fail(.protocolViolation, "\(frame.kind) before hello")
        case (_, .ended(let party)):
            return self.fail(.protocolViolation, "\(self.named(party)) sent \(frame.kind) after ending the session")
        case (_, .closed):
            return .none
        }
    }

    /// A frame that could not be parsed, or a pipeline error (a failed handshake among them).
    mutating func errorCaught(_ error: any Error) -> Action {
        switch self.state {
        case .closed, .ended:
            return .none
        case .awaitingHello:
            self.state = .closed
            return .close
        case .dialling(let party), .established(let party):
            if let error = error as? MPCError { return self.fail(error) }
            return self.fail(.peerLost, "the connection to \(self.named(party)) failed: \(error)")
        }
    }

    /// A heartbeat interval has passed: a peer in the session that has sent nothing at all for longer than `silence`
    /// has stopped (or is cut off), and the session fails now instead of at the round timeout.
    mutating func tick(now: NIODeadline, silence: TimeAmount) -> Action {
        guard case .established(let party) = self.state, now - self.lastHeard > silence else { return .none }
        return self.fail(
            .timedOut,
            "\(self.named(party)) has sent nothing, not even a heartbeat, for \(Duration.nanoseconds(silence.nanoseconds))"
        )
    }

    /// The connection closed. Only a peer that had ended the session may leave.
    mutating func channelInactive() -> Action {
        switch self.state {
        case .established(let party), .dialling(let party):
            return self.fail(.peerLost, "the connection to \(self.named(party)) closed")
        case .awaitingHello, .ended, .closed:
            self.state = .closed
            return .none
        }
    }

    private mutating func fail(_ code: MPCError.Code, _ message: String) -> Action {
        self.fail(MPCError(code, message))
    }

    private mutating func fail(_ error: MPCError) -> Action {
        self.state = .closed
        return .fail(error)
    }
}
