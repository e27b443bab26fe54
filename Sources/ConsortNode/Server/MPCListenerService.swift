import ConsortAudit
import ConsortPKI
import ConsortSpec
import ConsortTransport
import ServiceLifecycle
import Synchronization

/// The node's one MPC listener, shared by every task's session (so tasks compute at the same time), as a service:
/// bound at start-up on the API's host and the node's MPC port from the directory, closed at shutdown. Any directory
/// member's node may complete the TLS handshake; which session it may join is checked at its `hello`.
package final class MPCListenerService: Service {
    private let current = Mutex<MPCListener?>(nil)
    private let node: NodeConfiguration.Loaded
    private let audits: AuditQueue
    private let refusals: RefusalDigest
    private let system: AuditActor
    private let seats: MPCListener.Seats

    init(
        node: NodeConfiguration.Loaded, audits: AuditQueue, refusals: RefusalDigest, system: AuditActor,
        seats: @escaping MPCListener.Seats
    ) {
        self.node = node
        self.audits = audits
        self.refusals = refusals
        self.system = system
        self.seats = seats
    }

    /// The listener, once bound (nil on a node the directory gives no MPC address).
    var listener: MPCListener? { self.current.withLock { $0 } }

    /// Binds the listener; a port already in use is a start-up error.
    func bind() async throws {
        // Only a member that computes takes MPC connections.
        guard let entry = self.node.directory.member(self.node.member), entry.roles.contains(.compute),
            let (_, port) = entry.mpcAddress
        else { return }
        let directory = self.node.directoryInForce
        let refusals = self.refusals
        let listener = try await MPCListener.bind(
            host: self.node.host, port: port,
            authentication: TLSPeerAuthentication(identity: self.node.identity, verifier: self.node.verifier),
            holdTimeout: self.node.configuration.sessionConnectTimeout,
            limits: self.node.configuration.connectionLimits, seats: self.seats,
            admit: { $0.kind == .node && $0.memberID.map { directory.current.member($0) != nil } == true },
            onRejected: { reason, _, address in
                // Refusals before a session took the connection: anyone can cause them, so they are digested.
                refusals.refused("MPC connection", from: address, reason: reason)
            })
        self.current.withLock { $0 = listener }
    }

    package func run() async throws {
        try? await gracefulShutdown()
        self.listener?.close()
    }
}
