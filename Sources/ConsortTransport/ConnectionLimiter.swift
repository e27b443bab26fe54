import NIOCore
import NIOTLS
import Synchronization

/// Bounds what an accepted connection may cost before it has proved who it is: at most `maximumPerAddress`
/// connections open at once from one IP address, and a TLS handshake completed within `handshakeTimeout` (a
/// connection that never handshakes is closed). Each refusal is reported with the peer's address.
package final class ConnectionLimiter: Sendable {
    package struct Limits: Sendable {
        package var handshakeTimeout: Duration
        package var maximumPerAddress: Int

        package init(handshakeTimeout: Duration = .seconds(10), maximumPerAddress: Int = 64) {
            self.handshakeTimeout = handshakeTimeout
            self.maximumPerAddress = maximumPerAddress
        }
    }

    /// What a refusal was for.
    package enum Refusal: String, Sendable {
        case tooManyConnections = "connection limit"
        case handshakeTimeout = "handshake timeout"
    }

    package let limits: Limits
    let onRefused: @Sendable (_ refusal: Refusal, _ address: String, _ reason: String) -> Void
    private let open = Mutex<[String: Int]>([:])

    package init(
        _ limits: Limits,
        onRefused: @escaping @Sendable (_ refusal: Refusal, _ address: String, _ reason: String) -> Void
    ) {
        self.limits = limits
        self.onRefused = onRefused
    }

    /// The handler for one accepted connection; it goes after the TLS handler, whose completed handshake it waits for.
    package func handler() -> ConnectionGuardHandler { ConnectionGuardHandler(limiter: self) }

    /// Connections open from `address` now.
    package func openConnections(from address: String) -> Int { self.open.withLock { $0[address] ?? 0 } }

    func opened(_ address: String) -> Bool {
        self.open.withLock { open in
            guard open[address, default: 0] < self.limits.maximumPerAddress else { return false }
            open[address, default: 0] += 1
            return true
        }
    }

    func closed(_ address: String) {
        self.open.withLock { open in
            open[address, default: 1] -= 1
            if open[address] == 0 { open[address] = nil }
        }
    }
}

/// One connection's share of `ConnectionLimiter`: counts it against its address, and closes it if the handshake has
/// not completed in time.
package final class ConnectionGuardHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    package typealias InboundIn = NIOAny

    private let limiter: ConnectionLimiter
    private var address: String?
    private var handshaken = false
    private var timer: Scheduled<Void>?

    init(limiter: ConnectionLimiter) { self.limiter = limiter }

    package func channelActive(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard self.limiter.opened(address) else {
            self.limiter.onRefused(
                .tooManyConnections, address,
                "more than \(self.limiter.limits.maximumPerAddress) connections open from \(address)")
            context.close(promise: nil)
            return
        }
        self.address = address
        let timeout = self.limiter.limits.handshakeTimeout
        self.timer = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) { [weak self] in
            guard let self, !self.handshaken else { return }
            self.limiter.onRefused(.handshakeTimeout, address, "no TLS handshake within \(timeout)")
            context.close(promise: nil)
        }
        context.fireChannelActive()
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent {
            self.handshaken = true
            self.timer?.cancel()
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        if let address = self.address {
            self.limiter.closed(address)
            self.address = nil
        }
        context.fireChannelInactive()
    }
}
