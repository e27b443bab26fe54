import ConsortTransport
import NIOCore
import NIOSSL

/// Reports handshakes that fail before our verification callback runs (no client certificate, no common TLS version):
/// those refusals are audited too.
final class HandshakeFailureAuditor: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny
    private let peer: TLSPeerAuthentication.PeerIdentity
    private let activity: ConnectionActivity
    private let onReject: @Sendable (String) -> Void
    private var reported = false

    init(
        peer: TLSPeerAuthentication.PeerIdentity, activity: ConnectionActivity,
        onReject: @escaping @Sendable (String) -> Void
    ) {
        self.peer = peer
        self.activity = activity
        self.onReject = onReject
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A refused TLS handshake; a connection that closes without sending a byte (a port probe) is not a request.
        if !self.reported, self.activity.received, self.peer.verified == nil, self.peer.rejection == nil,
            case .handshakeFailed = error as? NIOSSLError
        {
            self.reported = true
            self.onReject("TLS handshake failed: \(error)")
        }
        context.fireErrorCaught(error)
    }
}

/// Notes whether the peer sent anything at all (raw bytes, before TLS).
final class ConnectionActivity: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private(set) var received = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received = true
        context.fireChannelRead(data)
    }
}
