import ConsortPKI
import ConsortTransport
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import X509

/// The member-side client of a node's API: one HTTP/1.1 request over mutual TLS 1.3, the node's chain verified by
/// `ConsortVerifier` and required to be the node of the member the directory says serves that endpoint.
package struct NodeClient: Sendable {
    package let authentication: TLSPeerAuthentication

    package init(authentication: TLSPeerAuthentication) { self.authentication = authentication }

    package struct Response: Sendable {
        package var status: Int
        package var body: String
        /// The node's certificate chain as verified in the handshake.
        package var peerChain: [Certificate] = []
    }

    package enum Method: Sendable {
        case get, post
        var http: HTTPMethod { self == .get ? .GET : .POST }
    }

    /// Sends one request and returns the response. `progress` hears how many body bytes the socket has taken so far.
    package func request(
        _ method: Method, _ path: String, body: [UInt8] = [], to endpoint: URL, node member: MemberID,
        timeout: Duration = .seconds(30), progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> Response {
        guard let host = endpoint.host, let port = endpoint.port else {
            throw ClientError(.configuration, "the endpoint \(endpoint) has no host and port")
        }
        let context = try self.authentication.clientContext()
        let peer = TLSPeerAuthentication.PeerIdentity()
        let promise = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Response.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let tls = try self.authentication.clientHandler(
                            context: context, serverHostname: nil, usage: .server, peer: peer,
                            admit: { $0.identity == .node(member) })
                        try channel.pipeline.syncOperations.addHandler(tls)
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            promise.fail(error)  // never left pending
            throw ClientError(
                .unavailable, "cannot reach the node of \(member) at \(endpoint): \(error)", underlying: error)
        }
        defer { channel.close(promise: nil) }
        // One deadline for the handshake, the request and the answer: a node that accepts the connection and then
        // stalls (e.g. a stopped process) must not hold the client.
        let scheduled = channel.eventLoop.scheduleTask(
            in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)
        ) {
            promise.fail(ClientError(.unavailable, "the node of \(member) did not answer within \(timeout)"))
            channel.close(promise: nil)
        }
        defer { scheduled.cancel() }
        var head = HTTPRequestHead(version: .http1_1, method: method.http, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Content-Type", value: "application/json")
        head.headers.add(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        // The body in 1 MiB pieces, each flushed, so that progress follows what the socket actually took; at most
        // eight pieces wait in the channel, so a large body is not copied whole into it.
        let piece = 1 << 20
        var pending: [EventLoopFuture<Void>] = []
        do {
            for start in stride(from: 0, to: body.count, by: piece) {
                let end = min(start + piece, body.count)
                let written = channel.eventLoop.makePromise(of: Void.self)
                if let progress { written.futureResult.whenSuccess { progress(end) } }
                channel.writeAndFlush(
                    HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body[start..<end]))), promise: written)
                pending.append(written.futureResult)
                if pending.count > 8 { try await pending.removeFirst().get() }
            }
            try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
        } catch {
            if let rejection = peer.rejection {
                throw ClientError(.tls, "the node at \(endpoint) was refused: \(rejection)")
            }
            // The first failure wins: the deadline (which closed the channel) or this one.
            promise.fail(
                ClientError(
                    .unavailable, "cannot send to the node of \(member) at \(endpoint): \(error)", underlying: error))
            _ = try await promise.futureResult.get()
        }
        do {
            // A cancelled caller (a node shutting down) does not wait for the deadline.
            var response = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                promise.fail(ClientError(.unavailable, "the request to the node of \(member) was cancelled"))
                channel.close(promise: nil)
            }
            response.peerChain = peer.verified?.chain ?? []
            return response
        } catch let error as ClientError {
            throw error
        } catch {
            if let rejection = peer.rejection {
                throw ClientError(.tls, "the node at \(endpoint) was refused: \(rejection)")
            }
            throw ClientError(.unavailable, "the request to the node of \(member) failed: \(error)", underlying: error)
        }
    }
}

/// Gathers one HTTP response.
private final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    private let promise: EventLoopPromise<NodeClient.Response>
    private var status = 0
    private var body = ByteBuffer()

    init(promise: EventLoopPromise<NodeClient.Response>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head): self.status = Int(head.status.code)
        case .body(var part): self.body.writeBuffer(&part)
        case .end: self.promise.succeed(.init(status: self.status, body: String(buffer: self.body)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(ClientError(.unavailable, "the connection closed before a response arrived"))
        context.fireChannelInactive()
    }
}
