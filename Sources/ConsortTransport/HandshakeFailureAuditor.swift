import NIOCore
import NIOSSL

/// Reports handshakes that fail before our verification callback runs (no client certificate, no common TLS version):
/// those refusals are audited too.
package final class HandshakeFailureAuditor: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    package typealias InboundIn = NIOAny
    private let peer: TLSPeerAuthentication.PeerIdentity
    private let activity: ConnectionActivity
    private let onReject: @Sendable (String) -> Void
    private var reported = false

    package init(
        peer: TLSPeerAuthentication.PeerIdentity, activity: ConnectionActivity,
        onReject: @escaping @Sendable (String) -> Void
    ) {
        self.peer = peer
        self.activity = activity
        self.onReject = onReject
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
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
package final class ConnectionActivity: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    package typealias InboundIn = ByteBuffer
    private(set) var received = false

    package init() {}

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received = true
        context.fireChannelRead(data)
    }
}
