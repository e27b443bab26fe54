import ConsortMPC
import ConsortPKI
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// MPC traffic between the three computing parties over mutual TLS 1.3.
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
        /// Hears every connection this party refuses (a certificate outside the session), e.g. to audit it.
        package var onRejectedPeer: (@Sendable (String) -> Void)? = nil

        package init(party: Int, peers: [Peer], session: [UInt8], authentication: TLSPeerAuthentication) {
            self.party = party
            self.peers = peers
            self.session = session
            self.authentication = authentication
        }
    }

    package let party: Int
    package var parties: Int { self.configuration.peers.count }
    private let configuration: Configuration
    private let queues = (0..<3).map { _ in MessageQueue() }
    private let channels = Mutex<[Int: any Channel]>([:])
    private let sendSequence = Mutex([UInt64](repeating: 0, count: 3))
    private let failure = Mutex<MPCError?>(nil)
    private let unflushedAborts = Mutex(0)
    /// Peers that have sent `end`: they will send nothing more, and may close their connection.
    private let ended: PartyBarrier

    private init(configuration: Configuration) {
        self.party = configuration.party
        self.configuration = configuration
        self.ended = PartyBarrier(expected: Set(0..<3).subtracting([configuration.party]))
    }

    /// Connects to the other two parties (dialing up, accepting down) and returns once both links are authenticated.
    package static func establish(_ configuration: Configuration, logger: Logger = Logger(label: "consort.mpc")) async throws -> MPCTLSTransport {
        guard configuration.session.count == 16, configuration.peers.count == 3,
            Set(configuration.peers.map(\.party)) == [0, 1, 2]
        else {
            throw MPCError(.sessionSetup, "an MPC session needs three computing parties and a 16-byte session id")
        }
        let transport = MPCTLSTransport(configuration: configuration)
        let me = configuration.peers.first { $0.party == configuration.party }!
        let sessionMembers = Set(configuration.peers.map(\.member))
        let serverContext = try configuration.authentication.serverContext()
        let clientContext = try configuration.authentication.clientContext()
        let established = PartyBarrier(expected: Set(configuration.peers.map(\.party)).subtracting([configuration.party]))

        // Accept connections from lower-numbered parties.
        var server: (any Channel)? = nil
        if configuration.party > 0 {
            do {
                server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                    .childChannelInitializer { channel in
                        let peer = TLSPeerAuthentication.PeerIdentity(onReject: configuration.onRejectedPeer)
                        let tls = configuration.authentication.serverHandler(
                            context: serverContext, usage: .client, peer: peer,
                            admit: { $0.kind == .node && $0.memberID.map(sessionMembers.contains) == true }
                        )
                        return channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandlers([
                                tls, ByteToMessageHandler(MPCFrameDecoder()),
                                MPCConnectionHandler(transport: transport, peerIdentity: peer, expectedParty: nil, established: established),
                            ])
                        }
                    }
                    .bind(host: me.host, port: me.port).get()
            } catch {
                throw MPCError(.sessionSetup, "computing party \(me.party) cannot listen on \(me.host):\(me.port): \(error)")
            }
        }
        defer { server?.close(promise: nil) }

        // Dial higher-numbered parties, retrying while they start up.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for peer in configuration.peers where peer.party > configuration.party {
                group.addTask {
                    try await Self.dial(peer, transport: transport, context: clientContext, established: established,
                                        authentication: configuration.authentication, timeout: configuration.connectTimeout)
                }
            }
            group.addTask {
                try await established.wait(timeout: configuration.connectTimeout) { missing in
                    MPCError(.sessionSetup, "computing part\(missing.count == 1 ? "y" : "ies") \(missing) did not connect within \(configuration.connectTimeout)")
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
        timeout: Duration
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
                                MPCConnectionHandler(transport: transport, peerIdentity: identity, expectedParty: peer.party, established: established),
                            ])
                        }
                    }
                    .connect(host: peer.host, port: peer.port).get()
                try await channel.writeAndFlush(
                    MPCFrame.hello(session: transport.configuration.session, party: transport.party, allocator: channel.allocator)
                ).get()
                return
            } catch {
                // A refused certificate will not get better by retrying: fail at once with the reason.
                if let rejection = identity.rejection {
                    throw MPCError(.sessionSetup, "computing party \(peer.party) at \(peer.host):\(peer.port) was refused: \(rejection)")
                }
                lastError = error
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        throw MPCError(.sessionSetup, "cannot reach computing party \(peer.party) (\(peer.member)) at \(peer.host):\(peer.port): \(lastError.map { "\($0)" } ?? "timed out")")
    }

    // MARK: MPCTransport

    package func send(_ words: [UInt64], to peer: Int) async throws {
        if let failure = self.failure.withLock({ $0 }) { throw failure }
        guard let channel = self.channels.withLock({ $0[peer] }) else {
            throw MPCError(.peerLost, "no connection to computing party \(peer)")
        }
        // Sends to one peer are made by one task at a time (the session's protocol step), so the frames of two
        // messages never interleave; the sequence numbers are reserved under the lock all the same.
        let frames = self.sendSequence.withLock { sequences in
            MPCFrame.encode(session: self.configuration.session, sequence: &sequences[peer], words: words, allocator: channel.allocator)
        }
        do {
            // At most a few frames in flight: TLS encrypts as the socket drains instead of buffering the message.
            var inFlight: [EventLoopFuture<Void>] = []
            for frame in frames {
                inFlight.append(channel.writeAndFlush(frame))
                if inFlight.count > 4 { try await inFlight.removeFirst().get() }
            }
            for write in inFlight { try await write.get() }
        } catch {
            let lost = MPCError(.peerLost, "computing party \(peer) is unreachable: \(error)")
            self.abort(lost)
            throw lost
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
                    throw MPCError(.timedOut, "computing party \(peer) sent nothing within \(timeout)")
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

    /// Ends the session normally once every party gets here: sends `end` to both peers, waits (one round timeout)
    /// for theirs, then closes. A party thus never closes a connection a peer still reads from, and the session's
    /// wall time includes the slowest party.
    package func finish() async throws {
        if let failure = self.failure.withLock({ $0 }) { throw failure }
        let channels = self.channels.withLock { Array($0.values) }
        do {
            for channel in channels {
                try await channel.writeAndFlush(MPCFrame.end(session: self.configuration.session, allocator: channel.allocator)).get()
            }
        } catch {
            let lost = MPCError(.peerLost, "a computing party left before the session ended: \(error)")
            self.abort(lost)
            throw lost
        }
        do {
            try await self.ended.wait(timeout: self.configuration.roundTimeout) { missing in
                MPCError(.timedOut, "computing part\(missing.count == 1 ? "y" : "ies") \(missing) did not end the session within \(self.configuration.roundTimeout)")
            }
        } catch let error as MPCError {
            self.abort(error)
            throw self.failure.withLock { $0 } ?? error
        }
        self.close()
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

    fileprivate func register(_ channel: any Channel, party: Int) -> Bool {
        self.channels.withLock { channels in
            guard channels[party] == nil else { return false }
            channels[party] = channel
            return true
        }
    }

    fileprivate func deliver(_ words: [UInt64], from party: Int) { self.queues[party].put(words) }

    fileprivate func peerEnded(_ party: Int) { self.ended.arrived(party) }

    fileprivate func lost(_ party: Int, _ error: MPCError) {
        self.abort(error)
    }

    fileprivate var sessionID: [UInt8] { self.configuration.session }
    fileprivate func member(of party: Int) -> MemberID? { self.configuration.peers.first { $0.party == party }?.member }
}

/// Waits until the expected peers have arrived (connected and said hello; or sent `end`); gives up at the timeout,
/// when failed, or when cancelled.
private final class PartyBarrier: Sendable {
    private struct State {
        var remaining: Set<Int>
        var waiter: CheckedContinuation<Void, any Error>?
        var outcome: Result<Void, MPCError>?
    }

    private let state: Mutex<State>

    init(expected: Set<Int>) { self.state = Mutex(State(remaining: expected)) }

    func fail(_ error: MPCError) { self.finish(.failure(error)) }

    func arrived(_ party: Int) {
        let complete = self.state.withLock { state in
            state.remaining.remove(party)
            return state.remaining.isEmpty
        }
        if complete { self.finish(.success(())) }
    }

    private func finish(_ outcome: Result<Void, MPCError>) {
        let waiter = self.state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.outcome == nil { state.outcome = outcome }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: self.state.withLock { $0.outcome!.mapError { $0 as any Error } })
    }

    func wait(timeout: Duration, failing: @escaping @Sendable (_ missing: [Int]) -> MPCError) async throws {
        let timer = Task {
            try await Task.sleep(for: timeout)
            self.finish(.failure(failing(self.state.withLock { $0.remaining.sorted() })))
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let outcome = self.state.withLock { state -> Result<Void, MPCError>? in
                    if state.outcome == nil { state.waiter = continuation }
                    return state.outcome
                }
                if let outcome { continuation.resume(with: outcome.mapError { $0 as any Error }) }
            }
        } onCancel: {
            self.finish(.failure(MPCError(.sessionSetup, "session setup was cancelled")))
        }
    }
}

/// Per-connection protocol handling: hello, sequence numbers, delivery, loss.
private final class MPCConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private let transport: MPCTLSTransport
    private let peerIdentity: TLSPeerAuthentication.PeerIdentity
    private var party: Int?
    private let dialed: Bool
    private let established: PartyBarrier
    private var nextSequence: UInt64 = 0
    /// The frames of the message being received.
    private var fragments: [ByteBuffer] = []
    private var fragmentBytes = 0
    /// The peer sent `end`: its connection closing is no longer a loss.
    private var finished = false

    init(transport: MPCTLSTransport, peerIdentity: TLSPeerAuthentication.PeerIdentity, expectedParty: Int?, established: PartyBarrier) {
        self.transport = transport
        self.peerIdentity = peerIdentity
        self.party = expectedParty
        self.dialed = expectedParty != nil
        self.established = established
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent, self.dialed, let party = self.party {
            if self.transport.register(context.channel, party: party) { self.established.arrived(party) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            let frame = try MPCFrame.parse(Self.unwrapInboundIn(data))
            guard frame.session == self.transport.sessionID else {
                throw MPCError(.protocolViolation, "a peer sent a frame of another MPC session")
            }
            switch frame.kind {
            case .hello:
                var payload = frame.payload
                guard !self.dialed, self.party == nil, let index = payload.readInteger(as: UInt8.self), index < 3,
                    let member = self.transport.member(of: Int(index)),
                    self.peerIdentity.verified?.identity == .node(member)
                else {
                    throw MPCError(.protocolViolation, "a peer's hello does not match its verified certificate")
                }
                self.party = Int(index)
                guard self.transport.register(context.channel, party: Int(index)) else {
                    throw MPCError(.protocolViolation, "computing party \(index) connected twice")
                }
                self.established.arrived(Int(index))
            case .data, .dataMore:
                guard let party = self.party else { throw MPCError(.protocolViolation, "data before hello") }
                guard frame.sequence == self.nextSequence else {
                    throw MPCError(.protocolViolation, "computing party \(party) sent frame \(frame.sequence), expected \(self.nextSequence)")
                }
                self.nextSequence += 1
                self.fragments.append(frame.payload)
                self.fragmentBytes += frame.payload.readableBytes
                guard self.fragmentBytes <= 8 * MPCFrame.maximumMessageWords else {
                    throw MPCError(.protocolViolation, "computing party \(party) sent a message over \(MPCFrame.maximumMessageWords) ring elements")
                }
                if frame.kind == .data {
                    let words = try MPCFrame.words(self.fragments)
                    self.fragments.removeAll(keepingCapacity: true)
                    self.fragmentBytes = 0
                    self.transport.deliver(words, from: party)
                }
            case .end:
                guard let party = self.party else { throw MPCError(.protocolViolation, "end before hello") }
                guard self.fragments.isEmpty else { throw MPCError(.protocolViolation, "computing party \(party) ended the session mid-message") }
                self.finished = true
                self.transport.peerEnded(party)
            case .abort:
                guard let party = self.party else { throw MPCError(.protocolViolation, "abort before hello") }
                self.transport.lost(party, MPCFrame.abortReason(frame.payload, from: party))
                context.close(promise: nil)
            }
        } catch let error as MPCError {
            self.transport.lost(self.party ?? -1, error)
            context.close(promise: nil)
        } catch {
            self.transport.lost(self.party ?? -1, MPCError(.protocolViolation, "\(error)"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let party = self.party, !self.finished {
            self.transport.lost(party, MPCError(.peerLost, "the connection to computing party \(party) closed"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let party = self.party, !self.finished {
            self.transport.lost(party, MPCError(.peerLost, "the connection to computing party \(party) failed: \(error)"))
        }
        context.close(promise: nil)
    }
}
