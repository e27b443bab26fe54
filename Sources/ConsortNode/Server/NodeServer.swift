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

/// A member's service node: the REST API over mutual TLS 1.3 (controllers on a Hummingbird router), the MPC
/// computations, the deadline watcher, the checkpointer and the audit queue — as services the executable runs in one
/// `ServiceGroup` with graceful shutdown. Every connection's client chain is verified by `ConsortVerifier` and must
/// belong to a member the operator's directory lists; requests are authorised from that verified identity only.
/// Start-up, shutdown and every refusal are written to the audit log.
package struct NodeServer: Sendable {
    package let node: NodeConfiguration.Loaded
    package let log: AuditLog
    package let tasks: any TaskStore
    package let metrics: NodeMetrics
    package let logger: Logger
    package let service: TaskService
    package let proposals: ProposalService

    package init(
        node: NodeConfiguration.Loaded, log: AuditLog, tasks: any TaskStore, metrics: NodeMetrics, logger: Logger
    ) {
        self.node = node
        self.log = log
        self.tasks = tasks
        self.metrics = metrics
        self.logger = logger
        self.service = TaskService(
            node: node, tasks: tasks, log: log, dataDirectory: node.dataDirectory,
            audits: AuditQueue(log: log, logger: logger), computations: ComputationRunner(), logger: logger)
        self.proposals = ProposalService(tasks: self.service, logger: logger)
    }

    /// Logs `node.started`, aborts the computations a previous run left behind, removes the uploads it was cut off
    /// in, and returns the node's services in start order; graceful shutdown stops them in reverse, the audit queue
    /// last.
    package func services() async throws -> [any Service] {
        let configuration = self.node.configuration
        let application = try self.application()
        try await self.log.append(
            try AuditDraft(
                actor: self.service.system, action: .nodeStarted,
                details: ["listen": .string(configuration.listen)]))
        try await self.service.abortInterruptedComputations()
        self.service.removeUnfinishedUploads()
        try await self.service.witnessRecords.load(from: self.log.store)
        try await self.service.mpc.bind()
        // Hashing the executable takes a few tenths of a second: done now, not inside the first task's MPC session.
        Task.detached(priority: .utility) { _ = BuildMeasurement.current }
        let deadlines = NodeLoop.deadlines(
            self.service, every: .milliseconds(Int((configuration.deadlineCheckSeconds ?? 1) * 1000)),
            logger: self.logger)
        let checkpoints = NodeLoop.checkpoints(
            self.service, every: .milliseconds(Int((configuration.checkpointSeconds ?? 10) * 1000)), logger: self.logger
        )
        let reconcile = NodeLoop.reconciliation(
            self.service, every: .milliseconds(Int((configuration.reconcileSeconds ?? 30) * 1000)), logger: self.logger)
        let refresher = RevocationRefresher(
            node: self.node, log: self.log, system: self.service.system, logger: self.logger)
        let directories = DirectoryRefresher(
            node: self.node, log: self.log, system: self.service.system, logger: self.logger)
        // The directory first: CRLs are then checked against the members it lists.
        let revocation = NodeLoop(
            name: "directory and CRL refresh",
            interval: .milliseconds(Int((configuration.crlCheckSeconds ?? 10) * 1000)), logger: self.logger
        ) {
            try await directories.refresh()
            try await refresher.refresh()
        }
        let digest = self.service.refusals
        let proposals = self.proposals
        let delivery = NodeLoop(
            name: "proposal delivery", interval: .milliseconds(Int((configuration.proposalRetrySeconds ?? 2) * 1000)),
            logger: self.logger, pass: { try await proposals.deliverPending() }, cancelledAtShutdown: true)
        let refusals = NodeLoop(
            name: "refusal digest", interval: .seconds(1), logger: self.logger, pass: { digest.flush() },
            last: { digest.flush(force: true) })
        var services: [any Service] = [
            self.service.audits, self.service.mpc, self.service.computations, deadlines, checkpoints, reconcile,
            revocation, delivery, refusals, application,
        ]
        if let address = configuration.ui {
            services.append(
                try UIServer(node: self.node, proposals: self.proposals, sessions: UISessions(), logger: self.logger)
                    .application(address: address))
        }
        return services
    }

    /// After the services have stopped: logs `node.stopped`.
    package func stopped() async throws {
        try await self.log.append(try AuditDraft(actor: self.service.system, action: .nodeStopped))
    }

    /// The HTTP application: our mutual-TLS channel, the member and error middleware, the controllers.
    func application() throws -> some Service {
        let authentication = TLSPeerAuthentication(identity: self.node.identity, verifier: self.node.verifier)
        let context = try authentication.serverContext()
        let directory = self.node.directoryInForce
        let router = Router(context: NodeRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ErrorMiddleware(log: self.log))
        router.add(middleware: MemberMiddleware(directory: directory, log: self.log))
        HealthController(service: self.service, metrics: self.metrics).addRoutes(to: router)
        TaskController(service: self.service).addRoutes(to: router)
        DataController(service: self.service).addRoutes(to: router)
        AuditController(service: self.service).addRoutes(to: router)
        ProposalController(service: self.proposals).addRoutes(to: router)
        let refusals = self.service.refusals
        let limiter = ConnectionLimiter(self.node.configuration.connectionLimits) { refusal, address, reason in
            refusals.refused("API \(refusal.rawValue)", from: address, reason: reason)
        }
        let idle = TimeAmount.milliseconds(Int64((self.node.configuration.idleTimeoutSeconds ?? 60) * 1000))
        let server = HTTPServerBuilder { responder in
            MutualTLSChannel(
                base: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: idle)), context: context,
                authentication: authentication, limiter: limiter
            ) { identity in
                identity.memberID.map { directory.current.member($0) != nil } ?? false
            } onReject: { address, reason in
                // Handshake callbacks cannot await, and anyone can cause these: digested, then queued.
                refusals.refused("TLS handshake", from: address, reason: reason)
            }
        }
        return Application(
            router: router, server: server,
            configuration: .init(address: .hostname(self.node.host, port: self.node.port), serverName: "consort-node"),
            logger: self.logger
        )
    }
}
