import ConsortPKI
import ConsortTransport
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// HTTP/1 behind our own TLS handler: Hummingbird's TLS helper takes only the older verification callback, and we
/// need ours (operator root, CRLs, key usage, roles, directory admission) and the verified identity afterwards.
struct MutualTLSChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value
    let base: HTTP1Channel
    let context: NIOSSLContext
    let authentication: TLSPeerAuthentication
    let limiter: ConnectionLimiter
    let admit: @Sendable (VerifiedIdentity) -> Bool
    /// Hears every refused handshake: the peer's address and why.
    let onReject: @Sendable (_ address: String, _ reason: String) -> Void

    init(
        base: HTTP1Channel, context: NIOSSLContext, authentication: TLSPeerAuthentication, limiter: ConnectionLimiter,
        admit: @escaping @Sendable (VerifiedIdentity) -> Bool,
        onReject: @escaping @Sendable (_ address: String, _ reason: String) -> Void
    ) {
        self.base = base
        self.context = context
        self.authentication = authentication
        self.limiter = limiter
        self.admit = admit
        self.onReject = onReject
    }

    var responder: HTTPChannelHandler.Responder { self.base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let address = channel.remoteAddress?.ipAddress ?? "unknown"
            let onReject = self.onReject
            let peer = TLSPeerAuthentication.PeerIdentity(onReject: { onReject(address, $0) })
            PeerRegistry.shared.register(channel, peer)
            let activity = ConnectionActivity()
            try channel.pipeline.syncOperations.addHandlers([
                activity,
                self.authentication.serverHandler(context: self.context, usage: .client, peer: peer, admit: self.admit),
                self.limiter.handler(),
                HandshakeFailureAuditor(peer: peer, activity: activity, onReject: { onReject(address, $0) }),
            ])
        }.flatMap {
            self.base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await self.base.handle(value: value, logger: logger)
    }
}
