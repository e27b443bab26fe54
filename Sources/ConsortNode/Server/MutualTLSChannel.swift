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
    let admit: @Sendable (VerifiedIdentity) -> Bool
    let onReject: @Sendable (String) -> Void

    init(
        base: HTTP1Channel, context: NIOSSLContext, authentication: TLSPeerAuthentication,
        admit: @escaping @Sendable (VerifiedIdentity) -> Bool, onReject: @escaping @Sendable (String) -> Void
    ) {
        self.base = base
        self.context = context
        self.authentication = authentication
        self.admit = admit
        self.onReject = onReject
    }

    var responder: HTTPChannelHandler.Responder { self.base.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let peer = TLSPeerAuthentication.PeerIdentity(onReject: self.onReject)
            PeerRegistry.shared.register(channel, peer)
            let activity = ConnectionActivity()
            try channel.pipeline.syncOperations.addHandlers([
                activity,
                self.authentication.serverHandler(context: self.context, usage: .client, peer: peer, admit: self.admit),
                HandshakeFailureAuditor(peer: peer, activity: activity, onReject: self.onReject),
            ])
        }.flatMap {
            self.base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await self.base.handle(value: value, logger: logger)
    }
}
