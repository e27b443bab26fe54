import ConsortAudit
import ConsortPKI
import ConsortSpec
import ConsortTransport
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals

/// A member's service node: the REST API over mutual TLS 1.3. Every connection's client chain is verified by
/// `ConsortVerifier` and must belong to a member the operator's directory lists; requests are authorised from that
/// verified identity only. Start-up, shutdown and every refusal are written to the audit log.
package struct NodeServer: Sendable {
    package let node: NodeConfiguration.Loaded
    package let log: AuditLog
    package let tasks: any TaskStore
    package let logger: Logger

    package init(node: NodeConfiguration.Loaded, log: AuditLog, tasks: any TaskStore, logger: Logger) {
        self.node = node
        self.log = log
        self.tasks = tasks
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT (graceful shutdown), then logs `node.stopped`.
    package func run() async throws {
        let authentication = TLSPeerAuthentication(identity: self.node.identity, verifier: self.node.verifier)
        let context = try authentication.serverContext()
        let directory = self.node.directory
        let log = self.log
        let pending = PendingAudits()
        let metrics = NodeMetrics.shared
        let router = Router(context: NodeRequestContext.self)
        router.add(middleware: MemberMiddleware(directory: directory, log: log))
        router.add(middleware: MetricsMiddleware())
        let member = self.node.member.rawValue
        let service = TaskService(node: self.node, tasks: self.tasks, log: log, dataDirectory: self.node.dataDirectory, pendingAudits: pending)
        router.get("/v1/health") { _, context -> Response in
            try await Self.respond {
                let caller = try Self.caller(context)
                try await service.authorizeOrRefuse(.health, caller)
                return (.ok, #"{"member":"\#(member)","status":"ok","peer":"\#(caller.identity.map { "\($0)" } ?? "")"}"#)
            }
        }
        router.get("/v1/metrics") { _, context -> Response in
            try await Self.respond(as: "text/plain; version=0.0.4") {
                try await service.authorizeOrRefuse(.metrics, try Self.caller(context))
                return ByteBuffer(string: try await metrics.exposition(tasks: service.tasks))
            }
        }
        router.post("/v1/tasks") { request, context -> Response in
            try await Self.respond {
                let body = try await request.body.collect(upTo: 1 << 20)
                let outcome = try await service.submit(Array(body.readableBytesView), by: try Self.caller(context))
                return (outcome.created ? .created : .ok, #"{"task":"\#(outcome.task)","state":"\#(outcome.state.rawValue)"}"#)
            }
        }
        router.get("/v1/tasks") { _, context -> Response in
            try await Self.respond {
                let tasks = try await service.list(for: try Self.caller(context)).map { record, cts -> JSONValue in
                    .object(JSONObject([("task", .string(record.id)), ("id", .string(cts.id)), ("title", .string(cts.title)),
                                        ("state", .string(record.state.rawValue))]))
                }
                return (.ok, String(decoding: JSONWriter.write(.object(JSONObject([("node", .string(member)), ("tasks", .array(tasks))]))), as: UTF8.self))
            }
        }
        router.get("/v1/tasks/{id}") { _, context -> Response in
            try await Self.respond {
                let id = context.parameters.get("id") ?? ""
                let (record, cts) = try await service.status(id, for: try Self.caller(context))
                return (.ok, #"{"task":"\#(record.id)","id":"\#(cts.id)","state":"\#(record.state.rawValue)","node":"\#(member)"}"#)
            }
        }
        router.get("/v1/tasks/{id}/document") { _, context -> Response in
            try await Self.respond(as: "application/jose+json") {
                ByteBuffer(bytes: try await service.document(context.parameters.get("id") ?? "", for: try Self.caller(context)))
            }
        }
        router.post("/v1/tasks/{id}/inputs/{table}") { request, context -> Response in
            try await Self.respond {
                let body = try await request.body.collect(upTo: 1 << 30)
                let receipt = try await service.upload(Array(body.readableBytesView), task: context.parameters.get("id") ?? "",
                                                       table: context.parameters.get("table") ?? "",
                                                       batch: request.uri.queryParameters.get("batch") ?? "", by: try Self.caller(context))
                return (.created, receipt)
            }
        }
        router.post("/v1/tasks/{id}/halt") { request, context -> Response in
            try await Self.respond {
                let body = try await request.body.collect(upTo: 1 << 16)
                let state = try await service.halt(Array(body.readableBytesView), task: context.parameters.get("id") ?? "", by: try Self.caller(context))
                return (.ok, #"{"state":"\#(state.rawValue)"}"#)
            }
        }
        router.get("/v1/audit") { _, context -> Response in
            try await Self.respond {
                let caller = try Self.caller(context)
                try await service.authorizeOrRefuse(.auditRead, caller)
                let entries = try await log.store.allEntries()
                return (.ok, entries.map(AuditExport.line).joined(separator: "\n") + "\n")
            }
        }
        router.get("/v1/audit/checkpoints") { _, context -> Response in
            try await Self.respond {
                try await service.authorizeOrRefuse(.auditRead, try Self.caller(context))
                let checkpoints = try await log.store.checkpoints(of: nil)
                return (.ok, checkpoints.map { JSONWriter.string($0.json) + "\n" }.joined())
            }
        }
        router.post("/v1/audit/witness") { request, context -> Response in
            try await Self.respond {
                let body = try await request.body.collect(upTo: 1 << 16)
                return (.ok, String(decoding: try await service.witness(Array(body.readableBytesView), by: try Self.caller(context)), as: UTF8.self))
            }
        }
        router.get("/v1/tasks/{id}/output") { _, context -> Response in
            try await Self.respond {
                let bytes = try await service.output(context.parameters.get("id") ?? "", for: try Self.caller(context))
                return (.ok, String(decoding: bytes, as: UTF8.self))
            }
        }
        let server = HTTPServerBuilder { responder in
            MutualTLSChannel(base: HTTP1Channel(responder: responder), context: context, authentication: authentication) { identity in
                identity.memberID.map { directory.member($0) != nil } ?? false
            } onReject: { reason in
                // Handshake callbacks cannot await: the append runs as a task that shutdown waits for.
                pending.run { _ = try? await log.append(try AuditDraft(actor: AuditActor(fingerprint: "-", subject: "unauthenticated TLS peer"),
                                                                       action: .requestDenied, details: ["reason": .string(reason)])) }
            }
        }
        let application = Application(
            router: router, server: server,
            configuration: .init(address: .hostname(self.node.host, port: self.node.port), serverName: "consort-node"),
            logger: self.logger
        )
        try await self.log.append(try AuditDraft(actor: service.system, action: .nodeStarted,
                                                 details: ["listen": .string(self.node.configuration.listen)]))
        try await service.abortInterruptedComputations()
        let configuration = self.node.configuration
        let deadlines = NodeLoop.deadlines(service, every: .milliseconds(Int((configuration.deadlineCheckSeconds ?? 1) * 1000)), logger: self.logger)
        let checkpoints = NodeLoop.checkpoints(service, every: .milliseconds(Int((configuration.checkpointSeconds ?? 10) * 1000)), logger: self.logger)
        try await ServiceGroup(configuration: .init(services: [application, deadlines, checkpoints], gracefulShutdownSignals: [.sigterm, .sigint],
                                                    logger: self.logger)).run()
        await pending.wait()
        try await self.log.append(try AuditDraft(actor: service.system, action: .nodeStopped))
    }

    static func caller(_ context: NodeRequestContext) throws -> VerifiedIdentity {
        guard let peer = context.peer else { throw NodeError(.unauthenticated, "no verified client certificate") }
        return peer
    }

    /// Runs a JSON handler; a `NodeError` becomes its HTTP status with `{"error", "message"}`.
    static func respond(_ body: () async throws -> (HTTPResponse.Status, String)) async throws -> Response {
        do {
            let (status, text) = try await body()
            return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        } catch let error as NodeError {
            return Self.failure(error)
        }
    }

    /// Runs a handler whose success is `200` with a body of another type; failures as above.
    static func respond(as contentType: String, _ body: () async throws -> ByteBuffer) async throws -> Response {
        do {
            return Response(status: .ok, headers: [.contentType: contentType], body: .init(byteBuffer: try await body()))
        } catch let error as NodeError {
            return Self.failure(error)
        }
    }

    static func failure(_ error: NodeError) -> Response {
        NodeMetrics.refused(error.code)
        let status: HTTPResponse.Status
        switch error.code {
        case .invalidRequest: status = .badRequest
        case .unauthenticated: status = .unauthorized
        case .forbidden: status = .forbidden
        case .notFound: status = .notFound
        case .conflict: status = .conflict
        case .deadlinePassed: status = .unprocessableContent
        default: status = .internalServerError
        }
        let text = JSONWriter.string(.object(JSONObject([("error", .string(error.code.description)), ("message", .string(error.message))])))
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Audit appends started where nothing can await them; shutdown waits for all before `node.stopped`.
package final class PendingAudits: Sendable {
    private let tasks = Mutex<[UUID: Task<Void, Never>]>([:])

    package init() {}

    /// Runs `operation` as a task that forgets itself when done.
    func run(_ operation: @escaping @Sendable () async -> Void) {
        let id = UUID()
        self.tasks.withLock { tasks in
            tasks[id] = Task {
                await operation()
                _ = self.tasks.withLock { $0.removeValue(forKey: id) }
            }
        }
    }

    func wait() async {
        for task in self.tasks.withLock({ Array($0.values) }) { await task.value }
    }
}

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

/// HTTP/1 behind our own TLS handler: Hummingbird's TLS helper takes only the older verification callback, and we
/// need ours (operator root, CRLs, key usage, roles, directory admission) and the verified identity afterwards.
struct MutualTLSChannel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = HTTP1Channel.Value
    let base: HTTP1Channel
    let context: NIOSSLContext
    let authentication: TLSPeerAuthentication
    let admit: @Sendable (VerifiedIdentity) -> Bool
    let onReject: @Sendable (String) -> Void

    init(base: HTTP1Channel, context: NIOSSLContext, authentication: TLSPeerAuthentication,
         admit: @escaping @Sendable (VerifiedIdentity) -> Bool, onReject: @escaping @Sendable (String) -> Void) {
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

/// Reports handshakes that fail before our verification callback runs (no client certificate, no common TLS version):
/// those refusals are audited too.
final class HandshakeFailureAuditor: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny
    private let peer: TLSPeerAuthentication.PeerIdentity
    private let activity: ConnectionActivity
    private let onReject: @Sendable (String) -> Void
    private var reported = false

    init(peer: TLSPeerAuthentication.PeerIdentity, activity: ConnectionActivity, onReject: @escaping @Sendable (String) -> Void) {
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

/// A request's context: Hummingbird's core storage plus the peer's verified identity.
package struct NodeRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package let peer: VerifiedIdentity?

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peer = PeerRegistry.shared.identity(of: source.channel)
    }
}

/// Every request must come from a member the directory lists (the TLS handshake already checked; this is the
/// second line): otherwise 403, and the refusal is audited.
struct MemberMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    let directory: MemberDirectory
    let log: AuditLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let peer = context.peer, let member = peer.memberID, self.directory.member(member) != nil else {
            let actor = context.peer.map(TaskService.actor) ?? AuditActor(fingerprint: "-", subject: "unknown peer")
            try await self.log.append(try AuditDraft(actor: actor,
                                                     action: .requestDenied, details: ["path": .string(request.uri.path)]))
            return NodeServer.failure(NodeError(.forbidden, "\(actor.subject) is not a member of this consortium's directory"))
        }
        return try await next(request, context)
    }
}
