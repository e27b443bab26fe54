import ConsortPKI
import ConsortTransport
import NIOCore
import Synchronization

/// The verified identity of each open connection, looked up by channel when a request context is created.
package final class PeerRegistry: Sendable {
    package static let shared = PeerRegistry()
    private let peers = Mutex<[ObjectIdentifier: TLSPeerAuthentication.PeerIdentity]>([:])

    func register(_ channel: any Channel, _ peer: TLSPeerAuthentication.PeerIdentity) {
        let key = ObjectIdentifier(channel)
        self.peers.withLock { $0[key] = peer }
        channel.closeFuture.whenComplete { _ in _ = self.peers.withLock { $0.removeValue(forKey: key) } }
    }

    func identity(of channel: any Channel) -> VerifiedIdentity? {
        self.peers.withLock { $0[ObjectIdentifier(channel)] }?.verified
    }
}
