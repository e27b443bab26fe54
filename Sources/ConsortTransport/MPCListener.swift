import ConsortMPC
import ConsortPKI
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One MPC listener for every session of a node: it takes the mutual-TLS connections of the other computing parties
/// and hands each to its session by the session id in the peer's `hello`. Sessions register while they set up; a
/// connection whose session has not registered yet (the peer got there first) is held, its frames buffered, until it
/// does or `holdTimeout` passes. So any number of tasks can compute at once on one port.
///
/// A connection is handed over only if its verified certificate is the node of the member the session has at the
/// party index the `hello` claims, and that party dials this one (a lower index); otherwise it is closed and
/// reported (`onRejected`) without touching the session.
package final class MPCListener: Sendable {
    /// What a session tells the listener about itself.
    struct Session: Sendable {
        var transport: MPCTLSTransport
        /// The member of each party index.
        var members: [MemberID]
        var established: PartyBarrier
        /// Hears the connections refused for this session (a node claiming a seat that is not its).
        var onRejected: (@Sendable (String) -> Void)?
    }

    private let channel = Mutex<(any Channel)?>(nil)
    private let sessions = Mutex<[[UInt8]: Session]>([:])
    /// Accepted connections waiting for their session, by session id.
    private let held = Mutex<[[UInt8]: [MPCAcceptHandler]]>([:])
    let holdTimeout: Duration
    /// Hears every refused connection: why, the session it claimed if any, and the peer's address.
    let onRejected: @Sendable (_ reason: String, _ session: [UInt8]?, _ address: String) -> Void
    /// Asked at each `hello`, before the connection waits for its session: why this peer may not take the seat it
    /// claims in that session (it then is refused at once; the node has said why), or nil (not known to be wrong).
    let seats: Seats?

    package typealias Seats = @Sendable (_ session: [UInt8], _ party: Int, _ peer: VerifiedIdentity?) async -> String?

    private init(
        holdTimeout: Duration, seats: Seats?, onRejected: @escaping @Sendable (String, [UInt8]?, String) -> Void
    ) {
        self.holdTimeout = holdTimeout
        self.seats = seats
        self.onRejected = onRejected
    }

    /// Listens on `host:port`. `admit` decides, from the verified certificate alone, who may connect at all (e.g. the
    /// node of a member with the compute role); which session it may join is decided at its `hello`. `limits` bound
    /// connections per address and the time to handshake; their refusals, and failed handshakes, go to `onRejected`.
    package static func bind(
        host: String, port: Int, authentication: TLSPeerAuthentication, holdTimeout: Duration = .seconds(20),
        limits: ConnectionLimiter.Limits = .init(), seats: Seats? = nil,
        admit: @escaping @Sendable (VerifiedIdentity) -> Bool,
        onRejected: @escaping @Sendable (_ reason: String, _ session: [UInt8]?, _ address: String) -> Void = {
            _, _, _ in
        }
    ) async throws -> MPCListener {
        let context = try authentication.serverContext()
        let listener = MPCListener(holdTimeout: holdTimeout, seats: seats, onRejected: onRejected)
        let limiter = ConnectionLimiter(limits) { _, address, reason in onRejected(reason, nil, address) }
        do {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let address = channel.remoteAddress?.ipAddress ?? "unknown"
                        let peer = TLSPeerAuthentication.PeerIdentity(onReject: { onRejected($0, nil, address) })
                        let tls = authentication.serverHandler(
                            context: context, usage: .client, peer: peer, admit: admit)
                        let activity = ConnectionActivity()
                        try channel.pipeline.syncOperations.addHandlers([
                            activity, tls, limiter.handler(),
                            HandshakeFailureAuditor(
                                peer: peer, activity: activity, onReject: { onRejected($0, nil, address) }),
                            ByteToMessageHandler(MPCFrameDecoder()),
                            MPCAcceptHandler(listener: listener, peer: peer, address: address),
                        ])
                    }
                }
                .bind(host: host, port: port).get()
            listener.channel.withLock { $0 = channel }
        } catch {
            throw MPCError(.sessionSetup, "cannot listen for MPC connections on \(host):\(port): \(error)")
        }
        return listener
    }

    /// Stops taking connections (sessions under way keep theirs).
    package func close() {
        self.channel.withLock { $0 }?.close(promise: nil)
        let held = self.held.withLock { held in
            defer { held.removeAll() }
            return held.values.flatMap { $0 }
        }
        for connection in held { connection.close() }
    }

    /// The port bound (useful when asked for port 0).
    package var port: Int? { self.channel.withLock { $0 }?.localAddress?.port }

    // MARK: Sessions

    /// A session is ready to take its lower parties' connections; those that arrived early are handed over now.
    func register(session id: [UInt8], _ session: Session) throws {
        let early = try self.sessions.withLock { sessions -> [MPCAcceptHandler] in
            guard sessions[id] == nil else {
                throw MPCError(.sessionSetup, "an MPC session with this id is already under way")
            }
            sessions[id] = session
            return self.held.withLock { $0.removeValue(forKey: id) ?? [] }
        }
        for connection in early { connection.offer(session) }
    }

    func unregister(session id: [UInt8]) {
        _ = self.sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// The session a `hello` names, or nil: then the connection is held (until `holdTimeout`) for it to register.
    func session(_ id: [UInt8], holding connection: MPCAcceptHandler) -> Session? {
        self.sessions.withLock { sessions in
            if let session = sessions[id] { return session }
            self.held.withLock { $0[id, default: []].append(connection) }
            return nil
        }
    }

    /// A held connection gave up (timed out or closed).
    func release(_ connection: MPCAcceptHandler, session id: [UInt8]) {
        self.held.withLock { held in
            held[id]?.removeAll { $0 === connection }
            if held[id]?.isEmpty == true { held[id] = nil }
        }
    }
}

/// The first handler of an accepted MPC connection: reads the peer's `hello`, finds (or waits for) its session,
/// checks that the peer may take the seat it claims, then hands the connection — with every frame that came
/// meanwhile — to the session's `MPCConnectionHandler`.
final class MPCAcceptHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum State {
        case awaitingHello
        /// The node is checking the seat the `hello` claims; frames kept in order.
        case checking(id: [UInt8], frames: [ByteBuffer], bytes: Int)
        /// Waiting for the session `id` to register; frames kept in order.
        case held(id: [UInt8], frames: [ByteBuffer], bytes: Int)
        case handedOver
        case closed
    }

    /// Frames a held connection may buffer before it is closed (a peer ahead of us sends its first messages).
    static let maximumHeldBytes = 64 << 20

    private let listener: MPCListener
    private let peer: TLSPeerAuthentication.PeerIdentity
    private var state = State.awaitingHello
    private var context: ChannelHandlerContext?
    private var holdTimer: Scheduled<Void>?

    private let address: String

    init(listener: MPCListener, peer: TLSPeerAuthentication.PeerIdentity, address: String) {
        self.listener = listener
        self.peer = peer
        self.address = address
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = Self.unwrapInboundIn(data)
        switch self.state {
        case .awaitingHello:
            guard let frame = try? MPCFrame.parse(buffer), frame.kind == .hello else {
                return self.refuse("the first MPC frame was not a hello", session: nil)
            }
            if let seats = self.listener.seats {
                var payload = frame.payload
                let party = payload.readInteger(as: UInt8.self).map(Int.init) ?? -1
                self.state = .checking(id: frame.session, frames: [buffer], bytes: buffer.readableBytes)
                let (peer, session) = (self.peer.verified, frame.session)
                let loop = context.eventLoop
                Task {
                    let refusal = await seats(session, party, peer)
                    loop.execute { self.checked(refusal) }
                }
                return
            }
            self.find(frame.session, frames: [buffer], bytes: buffer.readableBytes, context: context)
        case .checking(let id, var frames, let bytes):
            frames.append(buffer)
            guard bytes + buffer.readableBytes <= Self.maximumHeldBytes else {
                return self.refuse(
                    "a peer sent over \(Self.maximumHeldBytes >> 20) MiB before its session started here", session: id)
            }
            self.state = .checking(id: id, frames: frames, bytes: bytes + buffer.readableBytes)
        case .held(let id, var frames, let bytes):
            frames.append(buffer)
            guard bytes + buffer.readableBytes <= Self.maximumHeldBytes else {
                self.listener.release(self, session: id)
                return self.refuse(
                    "a peer sent over \(Self.maximumHeldBytes >> 20) MiB before its session started here", session: id)
            }
            self.state = .held(id: id, frames: frames, bytes: bytes + buffer.readableBytes)
        case .handedOver, .closed:
            context.fireChannelRead(data)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .held(let id, _, _) = self.state { self.listener.release(self, session: id) }
        self.holdTimer?.cancel()
        self.state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard case .handedOver = self.state else {
            if case .held(let id, _, _) = self.state { self.listener.release(self, session: id) }
            self.state = .closed
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }

    /// The node found nothing wrong with the seat (`refusal` nil): on to the session. Otherwise the connection is
    /// closed; the node has already said why.
    private func checked(_ refusal: String?) {
        guard case .checking(let id, let frames, let bytes) = self.state, let context = self.context else { return }
        if let refusal { return self.refuse(refusal, session: id, report: false) }
        self.find(id, frames: frames, bytes: bytes, context: context)
    }

    /// Hands the connection to its session, or holds it until the session registers or `holdTimeout` passes.
    private func find(_ id: [UInt8], frames: [ByteBuffer], bytes: Int, context: ChannelHandlerContext) {
        guard let session = self.listener.session(id, holding: self) else {
            self.state = .held(id: id, frames: frames, bytes: bytes)
            self.holdTimer = context.eventLoop.scheduleTask(
                in: .nanoseconds(Int64(self.listener.holdTimeout.components.seconds) * 1_000_000_000)
            ) {
                self.listener.release(self, session: id)
                self.refuse(
                    "no MPC session \(Self.describe(id)) started here within \(self.listener.holdTimeout)", session: id)
            }
            return
        }
        self.handOver(to: session, frames: frames, context: context)
    }

    /// The session registered while this connection was held (called from any thread).
    func offer(_ session: MPCListener.Session) {
        guard let context = self.context else { return }
        context.eventLoop.execute {
            guard case .held(_, let frames, _) = self.state else { return }
            self.holdTimer?.cancel()
            self.handOver(to: session, frames: frames, context: context)
        }
    }

    func close() {
        guard let context = self.context else { return }
        context.eventLoop.execute {
            self.state = .closed
            context.close(promise: nil)
        }
    }

    /// Checks the seat, installs the session's handler after this one and replays the frames through it.
    private func handOver(to session: MPCListener.Session, frames: [ByteBuffer], context: ChannelHandlerContext) {
        guard let hello = try? MPCFrame.parse(frames[0]) else { return self.refuse("malformed hello", session: nil) }
        var payload = hello.payload
        let claimed = payload.readInteger(as: UInt8.self).map(Int.init)
        let member = self.peer.verified?.memberID
        guard let party = claimed, party < session.transport.party, party < session.members.count,
            member == session.members[party]
        else {
            let who = self.peer.verified?.identity.map { "\($0)" } ?? "an unidentified peer"
            let reason =
                "\(who) may not take part in MPC session \(Self.describe(hello.session)) as party \(claimed.map(String.init) ?? "?")"
            session.onRejected?(reason)
            return self.refuse(reason, session: hello.session, report: session.onRejected == nil)
        }
        let handler = MPCConnectionHandler(
            transport: session.transport, peerIdentity: self.peer, established: session.established,
            machine: MPCConnectionStateMachine(session: hello.session, members: session.members))
        do {
            try context.pipeline.syncOperations.addHandler(handler, position: .after(self))
        } catch {
            return self.refuse("cannot hand the connection over: \(error)", session: hello.session)
        }
        self.state = .handedOver
        for frame in frames { context.fireChannelRead(Self.wrapInboundOut(frame)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    /// Closes the connection; `report` false when the session has already heard why.
    private func refuse(_ reason: String, session: [UInt8]?, report: Bool = true) {
        self.state = .closed
        if report { self.listener.onRejected(reason, session, self.address) }
        self.context?.close(promise: nil)
    }

    static func describe(_ session: [UInt8]) -> String {
        session.prefix(4).map { String($0, radix: 16).leftPadded(to: 2) }.joined() + "…"
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - self.count)) + self
    }
}
