import ConsortMPC
import ConsortPKI
import ConsortSpec
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import X509

/// MPC traffic between the computing parties of a session — any number of them — over mutual TLS 1.3.
///
/// Party i dials every party j > i and accepts the others; each side's chain is verified by `ConsortVerifier`, and
/// the handshake fails unless the peer is the node of one of the session's members. Each message is framed with the
/// session id and a per-direction sequence number (`MPCFrame`). A receive waits at most `roundTimeout`; a lost
/// connection, a timeout or a protocol violation fails every pending and later call and closes all channels, so the
/// other parties fail with `peer lost` at once instead of hanging.
package final class MPCTLSTransport: MPCTransport {
    /// One computing party of a session.
    package struct Peer: Sendable, Hashable {
        package var party: Int
        package var member: MemberID
        package var host: String
        package var port: Int

        package init(party: Int, member: MemberID, host: String, port: Int) {
            self.party = party
            self.member = member
            self.host = host
            self.port = port
        }
    }

    package struct Configuration: Sendable {
        package var party: Int
        package var peers: [Peer]
        /// 16 bytes identifying the session (e.g. derived from the task id); both sides must agree.
        package var session: [UInt8]
        package var authentication: TLSPeerAuthentication
        package var roundTimeout: Duration = .seconds(30)
        package var connectTimeout: Duration = .seconds(20)
        /// How often each party tells its peers it is still there, and how long a peer may send nothing at all
        /// before the session fails (`timedOut`): a stopped or cut-off party is noticed in seconds.
        package var heartbeatInterval: Duration = .seconds(1)
        package var silenceLimit: Duration = .seconds(5)
        /// Hears every connection this party refuses (a certificate outside the session), e.g. to audit it.
        package var onRejectedPeer: (@Sendable (String) -> Void)? = nil
        /// The node's listener for every session's incoming connections. Without one, the session listens on its
        /// own party's address for as long as it sets up (one session per port: benchmarks, tests).
        package var listener: MPCListener? = nil
        /// Keep a signed transcript of the session (`SessionTranscript`): every message hashed (SHA-256) both ways,
        /// the peers' claims checked at the end. Actively secure engines need it for blame; for a passive one it is
        /// an accountability record that costs hashing every message (about 0.7 ms per MB here). Off by default.
        package var keepsTranscript = false
        /// Tests and benchmarks of blame only: this party lies in its end-of-session claims (one bit of the digest of
        /// what it sent is flipped), as a cheating party would to hide what it sent.
        package var lieInEndClaims = false

        package init(party: Int, peers: [Peer], session: [UInt8], authentication: TLSPeerAuthentication) {
            self.party = party
            self.peers = peers
            self.session = session
            self.authentication = authentication
        }
    }

    package let party: Int
    package let parties: Int
    private let configuration: Configuration
    private let queues: [MessageQueue]
    private let channels = Mutex<[Int: any Channel]>([:])
    private let sendSequence: Mutex<[UInt64]>
    private let failure = Mutex<MPCError?>(nil)
    private let unflushedAborts = Mutex(0)
    /// Set before this party sends `end`: from then on it sends no heartbeats (nothing may follow `end`).
    private let ending = Atomic<Bool>(false)
    /// Peers that have sent `end`: they will send nothing more, and may close their connection.
    private let ended: PartyBarrier
    /// What this party sent and received, per peer; the peers' signed claims of the same and their verified node
    /// certificates (`SessionTranscript`).
    private let hashes: TranscriptHashes
    private let claims = Mutex<[Int: EndClaim]>([:])
    private let peerCertificates = Mutex<[Int: Certificate]>([:])
    private let finished = Mutex<SessionTranscript?>(nil)

    private init(configuration: Configuration) {
        let parties = configuration.peers.count
        self.party = configuration.party
        self.parties = parties
        self.configuration = configuration
        self.queues = (0..<parties).map { _ in MessageQueue() }
        self.sendSequence = Mutex([UInt64](repeating: 0, count: parties))
        self.ended = PartyBarrier(expected: Set(0..<parties).subtracting([configuration.party]))
        self.hashes = TranscriptHashes(parties: parties)
    }

    /// The session's transcript once `finish()` has checked every peer's claim against this party's record, also when
    /// that ended in a dispute or a peer's abort (the claims that arrived); nil without `keepsTranscript`.
    package var transcript: SessionTranscript? { self.finished.withLock { $0 } }

    /// Connects to every other party (dialling up, accepting down) and returns once every link is authenticated.
    package static func establish(_ configuration: Configuration, logger: Logger = Logger(label: "consort.mpc"))
        async throws -> MPCTLSTransport
    {
        let parties = configuration.peers.count
        guard configuration.session.count == 16, parties >= 2,
            Set(configuration.peers.map(\.party)) == Set(0..<parties),
            (0..<parties).contains(configuration.party)
        else {
            throw MPCError(
                .sessionSetup,
                "an MPC session needs parties numbered 0..<n (n ≥ 2), this party among them, and a 16-byte session id")
        }
        let transport = MPCTLSTransport(configuration: configuration)
        let me = configuration.peers.first { $0.party == configuration.party }!
        let sessionMembers = Set(configuration.peers.map(\.member))
        let members = configuration.peers.sorted { $0.party < $1.party }.map(\.member)
        let clientContext = try configuration.authentication.clientContext()
        let established = PartyBarrier(
            expected: Set(configuration.peers.map(\.party)).subtracting([configuration.party]))

        // Take the connections of lower-numbered parties: through the node's listener, or one of the session's own.
        var listener = configuration.listener
        var ownListener: MPCListener? = nil
        if listener == nil, configuration.party > 0 {
            let onRejected = configuration.onRejectedPeer
            ownListener = try await MPCListener.bind(
                host: me.host, port: me.port, authentication: configuration.authentication,
                holdTimeout: configuration.connectTimeout,
                // A session's own listener gives a handshake as long as the session gives its peers to connect.
                limits: .init(handshakeTimeout: configuration.connectTimeout),
                admit: { $0.kind == .node && $0.memberID.map(sessionMembers.contains) == true },
                onRejected: { reason, _, _ in onRejected?(reason) })
            listener = ownListener
        }
        defer { ownListener?.close() }
        try listener?.register(
            session: configuration.session,
            .init(
                transport: transport, members: members, established: established,
                onRejected: configuration.onRejectedPeer))
        defer { listener?.unregister(session: configuration.session) }

        // Dial higher-numbered parties, retrying while they start up.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for peer in configuration.peers where peer.party > configuration.party {
                group.addTask {
                    try await Self.dial(
                        peer, transport: transport, context: clientContext, established: established,
                        authentication: configuration.authentication, timeout: configuration.connectTimeout,
                        members: members)
                }
            }
            group.addTask {
                try await established.wait(timeout: configuration.connectTimeout) { missing in
                    MPCError(
                        .sessionSetup,
                        "computing part\(missing.count == 1 ? "y" : "ies") \(missing) did not connect within \(configuration.connectTimeout)"
                    )
                }
            }
            try await group.waitForAll()
        }
        logger.debug("MPC session established", metadata: ["consort.party": "\(configuration.party)"])
        return transport
    }

    private static func dial(
        _ peer: Peer,
        transport: MPCTLSTransport,
        context: NIOSSLContext,
        established: PartyBarrier,
        authentication: TLSPeerAuthentication,
        timeout: Duration,
        members: [MemberID]
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        var lastError: (any Error)? = nil
        while ContinuousClock.now < deadline {
            let identity = TLSPeerAuthentication.PeerIdentity()
            do {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .connectTimeout(.seconds(2))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let tls = try authentication.clientHandler(
                                context: context, serverHostname: nil, usage: .server, peer: identity,
                                admit: { $0.identity == .node(peer.member) }
                            )
                            try channel.pipeline.syncOperations.addHandlers([
                                tls, ByteToMessageHandler(MPCFrameDecoder()),
                                MPCConnectionHandler(
                                    transport: transport, peerIdentity: identity, established: established,
                                    machine: MPCConnectionStateMachine(
                                        session: transport.configuration.session, members: members,
                                        dialled: peer.party)),
                            ])
                        }
                    }
                    .connect(host: peer.host, port: peer.port).get()
                try await channel.writeAndFlush(
                    MPCFrame.hello(
                        session: transport.configuration.session, party: transport.party, allocator: channel.allocator)
                ).get()
                return
            } catch {
                // A refused certificate will not get better by retrying: fail at once with the reason.
                if let rejection = identity.rejection {
                    throw MPCError(
                        .sessionSetup,
                        "computing party \(peer.party) at \(peer.host):\(peer.port) was refused: \(rejection)")
                }
                lastError = error
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw MPCError(
            .sessionSetup,
            "cannot reach computing party \(peer.party) (\(peer.member)) at \(peer.host):\(peer.port): \(lastError.map { "\($0)" } ?? "timed out")"
        )
    }

    /// "computing party 2 (cp-c)".
    private func named(_ peer: Int) -> String {
        "computing party \(peer)"
            + (self.configuration.peers.first { $0.party == peer }.map { " (\($0.member))" } ?? "")
    }

    // MARK: MPCTransport

    package func send(_ words: [UInt64], to peer: Int) async throws {
        if let failure = self.failure.withLock({ $0 }) { throw failure }
        guard let channel = self.channels.withLock({ $0[peer] }) else {
            throw MPCError(.peerLost, "no connection to \(self.named(peer))")
        }
        // Sends to one peer are made by one task at a time (the session's protocol step), so the frames of two
        // messages never interleave; the sequence numbers are reserved under the lock all the same.
        let frames = self.sendSequence.withLock { sequences in
            MPCFrame.encode(
                session: self.configuration.session, sequence: &sequences[peer], words: words,
                allocator: channel.allocator)
        }
        if self.configuration.keepsTranscript { self.hashes.sent(words, to: peer) }
        do {
            // At most a few frames in flight: TLS encrypts as the socket drains instead of buffering the message.
            var inFlight: [EventLoopFuture<Void>] = []
            for frame in frames {
                inFlight.append(channel.writeAndFlush(frame))
                if inFlight.count > 4 { try await inFlight.removeFirst().get() }
            }
            for write in inFlight { try await write.get() }
        } catch {
            let lost = MPCError(.peerLost, "\(self.named(peer)) is unreachable: \(error)")
            self.abort(lost)
            // A peer that aborts tells why, then closes: if its reason came in first, that is the session's failure
            // (a write to it fails only because it closed), as a receive reports it.
            throw self.failure.withLock { $0 } ?? lost
        }
    }

    package func receive(from peer: Int) async throws -> [UInt64] {
        let queue = self.queues[peer]
        let timeout = self.configuration.roundTimeout
        do {
            return try await withThrowingTaskGroup(of: [UInt64]?.self) { group in
                group.addTask { try await queue.take() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let words = first else {
                    throw MPCError(.timedOut, "\(self.named(peer)) sent nothing within \(timeout)")
                }
                return words
            }
        } catch let error as MPCError {
            self.abort(error)
            throw self.failure.withLock { $0 } ?? error
        }
    }

    /// Fails the session everywhere: pending and later calls throw `error`, and all channels close so the peers
    /// notice at once.
    package func abort(_ error: MPCError) {
        guard self.stop(error) else { return }
        for channel in self.channels.withLock({ Array($0.values) }) {
            let frame = MPCFrame.abort(session: self.configuration.session, error: error, allocator: channel.allocator)
            self.unflushedAborts.withLock { $0 += 1 }
            channel.writeAndFlush(frame).whenComplete { _ in
                self.unflushedAborts.withLock { $0 -= 1 }
                channel.close(promise: nil)
            }
        }
    }

    /// Waits (at most `limit`) until the abort frames are written, so they reach the peers before the process
    /// exits. A frozen peer's full socket buffer can hold a write forever, hence the bound.
    package func flushAbort(limit: Duration = .milliseconds(500)) async {
        let deadline = ContinuousClock.now + limit
        while self.unflushedAborts.withLock({ $0 }) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Ends the session normally once every party gets here: sends `end` to every peer, waits (one round timeout)
    /// for theirs, then closes. A party thus never closes a connection a peer still reads from, and the session's
    /// wall time includes the slowest party.
    package func finish() async throws {
        if let failure = self.failure.withLock({ $0 }) { throw failure }
        let channels = self.channels.withLock { $0 }
        self.ending.store(true, ordering: .sequentiallyConsistent)
        let session = self.configuration.session
        do {
            for (peer, channel) in channels {
                var (sent, received) = self.hashes.digests(peer)
                if self.configuration.lieInEndClaims { sent[0] ^= 1 }
                let claim = try EndClaim.signed(
                    session: session, from: self.party, to: peer, sent: sent, received: received,
                    key: self.configuration.authentication.identity.privateKey)
                try await channel.writeAndFlush(
                    MPCFrame.end(session: session, claim: claim, allocator: channel.allocator)
                ).get()
            }
        } catch {
            // A peer that found a dispute closes after telling why; its abort frame may be read only after this
            // write failed, so wait a moment for the reason before calling the peer lost.
            let deadline = ContinuousClock.now + .seconds(1)
            while self.failure.withLock({ $0 }) == nil, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(10))
            }
            throw self.fail(MPCError(.peerLost, "a computing party left before the session ended: \(error)"))
        }
        do {
            try await self.ended.wait(timeout: self.configuration.roundTimeout) { missing in
                MPCError(
                    .timedOut,
                    "computing part\(missing.count == 1 ? "y" : "ies") \(missing) did not end the session within \(self.configuration.roundTimeout)"
                )
            }
        } catch let error as MPCError {
            throw self.fail(error)
        }
        guard self.configuration.keepsTranscript else {
            self.close()
            return
        }
        // Every peer has sent all it will: its claim must match this party's record, both ways.
        let transcript = self.checkClaims()
        self.finished.withLock { $0 = transcript.transcript }  // the evidence, in a dispute too
        if let dispute = transcript.dispute {
            self.abort(dispute)
            throw dispute
        }
        self.close()
    }

    /// Ends a session that failed while ending (a peer's abort — another party's dispute among them —, a lost peer,
    /// a timeout): keeps the claims that did arrive as evidence, aborts, and returns the first failure recorded.
    private func fail(_ error: MPCError) -> MPCError {
        if self.configuration.keepsTranscript {
            let evidence = self.checkClaims().transcript
            self.finished.withLock { $0 = evidence }
        }
        self.abort(error)
        return self.failure.withLock { $0 } ?? error
    }

    /// This party's transcript with the peers' claims, and the first dispute: a claim not signed by the peer's node,
    /// or one that differs from this party's record.
    private func checkClaims() -> (transcript: SessionTranscript, dispute: MPCError?) {
        let claims = self.claims.withLock { $0 }
        let certificates = self.peerCertificates.withLock { $0 }
        var links: [SessionTranscript.Link] = []
        var dispute: MPCError?
        for peer in (0..<self.parties) where peer != self.party {
            let (sent, received) = self.hashes.digests(peer)
            let claim = claims[peer]
            links.append(.init(peer: peer, sent: sent, received: received, claim: claim))
            guard dispute == nil else { continue }
            let pair = "computing parties \(min(self.party, peer)) and \(max(self.party, peer))"
            guard let claim, let certificate = certificates[peer],
                claim.isSigned(by: certificate, session: self.configuration.session, from: peer, to: self.party)
            else {
                dispute = MPCError(
                    .disputed, "computing party \(peer)'s end-of-session claim is not signed by its node (\(pair))")
                continue
            }
            if claim.sent != received {
                dispute = MPCError(
                    .disputed,
                    "\(pair) disagree on what \(peer) sent \(self.party): one of the two deviated (the pair is in dispute)"
                )
            } else if claim.received != sent {
                dispute = MPCError(
                    .disputed,
                    "\(pair) disagree on what \(self.party) sent \(peer): one of the two deviated (the pair is in dispute)"
                )
            }
        }
        return (SessionTranscript(party: self.party, links: links), dispute)
    }

    /// Closes the connections at once (after `finish`, or to give up without telling the peers why).
    package func close() {
        guard self.stop(MPCError(.peerLost, "the session has ended")) else { return }
        for channel in self.channels.withLock({ Array($0.values) }) { channel.close(promise: nil) }
    }

    /// Records the first failure (later calls see false) and fails every pending and later receive with it.
    private func stop(_ error: MPCError) -> Bool {
        let first = self.failure.withLock { failure -> Bool in
            guard failure == nil else { return false }
            failure = error
            return true
        }
        guard first else { return false }
        for queue in self.queues { queue.fail(error) }
        self.ended.fail(error)
        return true
    }

    // MARK: Connection callbacks

    /// The leaf certificate `party` presented in its verified handshake (nil before it connected).
    package func peerCertificate(_ party: Int) -> Certificate? { self.peerCertificates.withLock { $0[party] } }

    fileprivate func register(_ channel: any Channel, party: Int, certificate: Certificate?) -> Bool {
        let registered = self.channels.withLock { channels in
            guard channels[party] == nil else { return false }
            channels[party] = channel
            return true
        }
        if registered, let certificate { self.peerCertificates.withLock { $0[party] = certificate } }
        return registered
    }

    fileprivate func deliver(_ words: [UInt64], from party: Int) {
        if self.configuration.keepsTranscript { self.hashes.received(words, from: party) }
        self.queues[party].put(words)
    }

    fileprivate func peerEnded(_ party: Int, claim: EndClaim) {
        self.claims.withLock { $0[party] = claim }
        self.ended.arrived(party)
    }

    fileprivate var isEnding: Bool { self.ending.load(ordering: .sequentiallyConsistent) }

    fileprivate var heartbeat: (session: [UInt8], interval: TimeAmount, silence: TimeAmount) {
        (
            self.configuration.session, TimeAmount(self.configuration.heartbeatInterval),
            TimeAmount(self.configuration.silenceLimit)
        )
    }

    fileprivate func lost(_ error: MPCError) {
        self.abort(error)
    }
}

/// A connection's NIO side: feeds the state machine and carries out its answers.
final class MPCConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private let transport: MPCTLSTransport
    private let peerIdentity: TLSPeerAuthentication.PeerIdentity
    private let established: PartyBarrier
    private var machine: MPCConnectionStateMachine
    private var heartbeats: RepeatedTask?

    init(
        transport: MPCTLSTransport, peerIdentity: TLSPeerAuthentication.PeerIdentity, established: PartyBarrier,
        machine: MPCConnectionStateMachine
    ) {
        self.transport = transport
        self.peerIdentity = peerIdentity
        self.established = established
        self.machine = machine
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            self.perform(self.machine.handshakeCompleted(), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let action: MPCConnectionStateMachine.Action
        do {
            let frame = try MPCFrame.parse(Self.unwrapInboundIn(data))
            action = self.machine.received(frame, verifiedMember: self.peerIdentity.verified?.memberID)
        } catch {
            action = self.machine.errorCaught(error)
        }
        self.perform(action, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.heartbeats?.cancel()
        self.perform(self.machine.channelInactive(), context: context)
        context.fireChannelInactive()
    }

    /// Once the peer is known: every interval, a heartbeat to it (until this party ends the session) and a check
    /// that it has not gone silent.
    private func startHeartbeats(context: ChannelHandlerContext) {
        let (session, interval, silence) = self.transport.heartbeat
        self.heartbeats = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) {
            [transport = self.transport] _ in
            if !transport.isEnding {
                context.writeAndFlush(
                    NIOAny(MPCFrame.heartbeat(session: session, allocator: context.channel.allocator)), promise: nil)
            }
            self.perform(self.machine.tick(now: .now(), silence: silence), context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.perform(self.machine.errorCaught(error), context: context)
        context.close(promise: nil)
    }

    private func perform(_ action: MPCConnectionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .register(let party):
            guard
                self.transport.register(
                    context.channel, party: party, certificate: self.peerIdentity.verified?.chain.first)
            else {
                self.perform(
                    .fail(MPCError(.protocolViolation, "computing party \(party) connected twice")), context: context)
                return
            }
            self.established.arrived(party)
            self.startHeartbeats(context: context)
        case .deliver(let words, let party):
            self.transport.deliver(words, from: party)
        case .peerEnded(let party, let claim):
            self.transport.peerEnded(party, claim: claim)
        case .fail(let error):
            self.heartbeats?.cancel()
            self.transport.lost(error)
            context.close(promise: nil)
        case .close:
            context.close(promise: nil)
        }
    }
}
