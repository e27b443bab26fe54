import ConsortMPC
import ConsortPKI
import ConsortSpec
import NIOCore
import NIOEmbedded
import Testing

@testable import ConsortTransport

/// The MPC connection's frame rules without sockets: the state machine fed frames as values, and the frame decoder in
/// an `EmbeddedChannel`.
@Suite("MPC connection state machine")
struct MPCConnectionStateMachineTests {
    static let session = [UInt8](repeating: 9, count: 16)
    static let members = try! ["cp-a", "cp-b", "cp-c", "cp-d"].map(MemberID.init)
    let allocator = ByteBufferAllocator()

    func parse(_ buffer: ByteBuffer) throws -> MPCFrame.Parsed {
        var buffer = buffer
        buffer.moveReaderIndex(forwardBy: 4)  // the decoder strips the length prefix
        return try MPCFrame.parse(buffer)
    }

    func hello(_ party: Int, session: [UInt8] = Self.session) throws -> MPCFrame.Parsed {
        try self.parse(MPCFrame.hello(session: session, party: party, allocator: self.allocator))
    }

    func data(_ words: [UInt64], sequence: inout UInt64) throws -> [MPCFrame.Parsed] {
        try MPCFrame.encode(session: Self.session, sequence: &sequence, words: words, allocator: self.allocator).map(
            self.parse)
    }

    func accepted() -> MPCConnectionStateMachine {
        MPCConnectionStateMachine(session: Self.session, members: Self.members)
    }

    /// An end-of-session claim (its signature is checked by the transport, not by the frame rules).
    static let claim = EndClaim(
        sent: [UInt8](repeating: 1, count: 32), received: [UInt8](repeating: 2, count: 32),
        signature: [UInt8](repeating: 3, count: 64))

    @Test("an accepted connection: hello from the certificate's party, then messages, then end")
    func acceptedLifecycle() throws {
        var machine = self.accepted()
        #expect(machine.received(try self.hello(3), verifiedMember: Self.members[3]) == .register(party: 3))
        var sequence: UInt64 = 0
        let words: [UInt64] = [1, 2, .max]
        #expect(
            machine.received(try self.data(words, sequence: &sequence)[0], verifiedMember: Self.members[3])
                == .deliver(words, from: 3))
        #expect(
            machine.received(
                try self.parse(MPCFrame.end(session: Self.session, claim: Self.claim, allocator: self.allocator)),
                verifiedMember: Self.members[3])
                == .peerEnded(party: 3, claim: Self.claim))
        // After `end`, closing is no loss.
        #expect(machine.channelInactive() == .none)
    }

    @Test("a message of several frames is delivered whole, once, from its last frame")
    func fragments() throws {
        var machine = MPCConnectionStateMachine(session: Self.session, members: Self.members, dialled: 1)
        #expect(machine.handshakeCompleted() == .register(party: 1))
        var sequence: UInt64 = 0
        let words = (0..<UInt64(2 * MPCFrame.wordsPerFrame + 5)).map { $0 &* 0x9E37_79B9 }
        let frames = try self.data(words, sequence: &sequence)
        #expect(frames.count == 3)
        #expect(machine.received(frames[0], verifiedMember: Self.members[1]) == .none)
        #expect(machine.received(frames[1], verifiedMember: Self.members[1]) == .none)
        #expect(machine.received(frames[2], verifiedMember: Self.members[1]) == .deliver(words, from: 1))
        // An empty message is one empty data frame.
        #expect(
            machine.received(try self.data([], sequence: &sequence)[0], verifiedMember: Self.members[1])
                == .deliver([], from: 1))
    }

    @Test(
        "violations fail the session, naming the rule",
        arguments: [
            "hello from another party than the certificate", "data before hello", "another session",
            "a gap in the sequence",
            "hello twice", "end mid-message", "a message after end", "end without a claim",
            "a party index out of range",
        ])
    func violations(_ rule: String) throws {
        var machine = self.accepted()
        let member = Self.members[2]
        var sequence: UInt64 = 0
        var action: MPCConnectionStateMachine.Action
        switch rule {
        case "hello from another party than the certificate":
            action = machine.received(try self.hello(1), verifiedMember: member)
        case "data before hello":
            action = machine.received(try self.data([1], sequence: &sequence)[0], verifiedMember: member)
        case "another session":
            action = machine.received(
                try self.hello(2, session: [UInt8](repeating: 1, count: 16)), verifiedMember: member)
        case "a gap in the sequence":
            _ = machine.received(try self.hello(2), verifiedMember: member)
            sequence = 1
            action = machine.received(try self.data([1], sequence: &sequence)[0], verifiedMember: member)
        case "hello twice":
            _ = machine.received(try self.hello(2), verifiedMember: member)
            action = machine.received(try self.hello(2), verifiedMember: member)
        case "end mid-message":
            _ = machine.received(try self.hello(2), verifiedMember: member)
            let frames = try self.data([UInt64](repeating: 7, count: MPCFrame.wordsPerFrame + 1), sequence: &sequence)
            _ = machine.received(frames[0], verifiedMember: member)
            action = machine.received(
                try self.parse(MPCFrame.end(session: Self.session, claim: Self.claim, allocator: self.allocator)),
                verifiedMember: member)
        case "a message after end":
            _ = machine.received(try self.hello(2), verifiedMember: member)
            _ = machine.received(
                try self.parse(MPCFrame.end(session: Self.session, claim: Self.claim, allocator: self.allocator)),
                verifiedMember: member)
            action = machine.received(try self.data([1], sequence: &sequence)[0], verifiedMember: member)
        case "end without a claim":
            _ = machine.received(try self.hello(2), verifiedMember: member)
            var bare = MPCFrame.end(session: Self.session, claim: Self.claim, allocator: self.allocator)
            bare = bare.getSlice(at: 0, length: 4 + 1 + 16 + 8)!
            action = machine.received(try self.parse(bare), verifiedMember: member)
        default:
            action = machine.received(try self.hello(7), verifiedMember: member)
        }
        guard case .fail(let error) = action else {
            Issue.record("\(rule): \(action)")
            return
        }
        #expect(error.code == .protocolViolation, "\(rule): \(error)")
        // A failed connection ignores everything after.
        #expect(machine.received(try self.hello(2), verifiedMember: member) == .none)
        #expect(machine.channelInactive() == .none)
    }

    @Test("heartbeats keep a quiet peer in the session, even between a message's frames; a silent one fails it")
    func heartbeats() throws {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let silence = TimeAmount.seconds(5)
        var machine = MPCConnectionStateMachine(session: Self.session, members: Self.members, dialled: 2)
        #expect(machine.handshakeCompleted(now: start) == .register(party: 2))
        let beat = try self.parse(MPCFrame.heartbeat(session: Self.session, allocator: self.allocator))
        var sequence: UInt64 = 0
        let words = (0..<UInt64(MPCFrame.wordsPerFrame + 1)).map { $0 }
        let frames = try self.data(words, sequence: &sequence)
        #expect(machine.received(frames[0], verifiedMember: Self.members[2], now: start + .seconds(1)) == .none)
        // Heartbeats for a long quiet spell: each one resets the clock; none disturbs the message or the sequence.
        for second in stride(from: 4, through: 40, by: 4) {
            #expect(
                machine.received(beat, verifiedMember: Self.members[2], now: start + .seconds(Int64(second))) == .none)
            #expect(machine.tick(now: start + .seconds(Int64(second) + 3), silence: silence) == .none)
        }
        #expect(
            machine.received(frames[1], verifiedMember: Self.members[2], now: start + .seconds(41))
                == .deliver(words, from: 2))
        // Then nothing at all: within the limit it is still in; past it the session fails, naming the party.
        #expect(machine.tick(now: start + .seconds(46), silence: silence) == .none)
        guard case .fail(let error) = machine.tick(now: start + .seconds(47), silence: silence) else {
            Issue.record("a peer silent for 6 s is still in the session")
            return
        }
        #expect(
            error.code == .timedOut && error.message.contains("computing party 2")
                && error.message.contains("heartbeat"))

        // A peer that ended the session sends nothing more, and that is no silence; a heartbeat that crossed our
        // `end` on the wire is harmless.
        var ended = MPCConnectionStateMachine(session: Self.session, members: Self.members, dialled: 1)
        _ = ended.handshakeCompleted(now: start)
        #expect(
            ended.received(
                try self.parse(MPCFrame.end(session: Self.session, claim: Self.claim, allocator: self.allocator)),
                verifiedMember: Self.members[1], now: start) == .peerEnded(party: 1, claim: Self.claim))
        #expect(ended.received(beat, verifiedMember: Self.members[1], now: start + .seconds(1)) == .none)
        #expect(ended.tick(now: start + .seconds(60), silence: silence) == .none)
        // Before hello nothing is checked (the connect timeout governs set-up).
        var fresh = self.accepted()
        #expect(fresh.tick(now: start + .seconds(60), silence: silence) == .none)
    }

    @Test("a peer's abort fails the session with its code, attributed to it")
    func abort() throws {
        var machine = self.accepted()
        _ = machine.received(try self.hello(0), verifiedMember: Self.members[0])
        let frame = try self.parse(
            MPCFrame.abort(
                session: Self.session, error: MPCError(.timedOut, "party 2 sent nothing"), allocator: self.allocator))
        guard case .fail(let error) = machine.received(frame, verifiedMember: Self.members[0]) else {
            Issue.record("an abort must fail the session")
            return
        }
        #expect(error.code == .timedOut)
        #expect(
            error.message.contains("computing party 0 (cp-a) aborted the session")
                && error.message.contains("party 2 sent nothing"))
    }

    @Test("a lost connection fails the session; a peer that never said who it is cannot")
    func loss() throws {
        var known = self.accepted()
        _ = known.received(try self.hello(1), verifiedMember: Self.members[1])
        #expect(known.channelInactive() == .fail(MPCError(.peerLost, "")))
        var dialled = MPCConnectionStateMachine(session: Self.session, members: Self.members, dialled: 2)
        _ = dialled.handshakeCompleted()
        #expect(
            dialled.errorCaught(MPCError(.protocolViolation, "bad frame")) == .fail(MPCError(.protocolViolation, "")))
        var stranger = self.accepted()
        #expect(stranger.errorCaught(MPCError(.protocolViolation, "handshake failed")) == .close)
        #expect(stranger.channelInactive() == .none)
        var silent = self.accepted()
        #expect(silent.channelInactive() == .none)
    }

    @Test("the frame decoder splits the byte stream into frames and refuses oversized ones")
    func decoder() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(MPCFrameDecoder()))
        var sequence: UInt64 = 0
        var stream = self.allocator.buffer(capacity: 0)
        for frame in MPCFrame.encode(
            session: Self.session, sequence: &sequence, words: [1, 2, 3], allocator: self.allocator)
        {
            var frame = frame
            stream.writeBuffer(&frame)
        }
        var hello = MPCFrame.hello(session: Self.session, party: 1, allocator: self.allocator)
        stream.writeBuffer(&hello)
        // Delivered in pieces: frames come out whole.
        while stream.readableBytes > 0 {
            try channel.writeInbound(stream.readSlice(length: min(7, stream.readableBytes))!)
        }
        let first = try #require(try channel.readInbound(as: ByteBuffer.self))
        #expect(try MPCFrame.parse(first).kind == .data)
        #expect(try MPCFrame.words([MPCFrame.parse(first).payload]) == [1, 2, 3])
        let second = try #require(try channel.readInbound(as: ByteBuffer.self))
        #expect(try MPCFrame.parse(second).kind == .hello)
        var oversized = self.allocator.buffer(capacity: 4)
        oversized.writeInteger(UInt32(MPCFrame.maximumLength + 1))
        #expect(throws: MPCError.self) { try channel.writeInbound(oversized) }
        _ = try? channel.finish()
    }
}
