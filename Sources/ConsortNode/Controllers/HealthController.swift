import ConsortClient
import ConsortPKI
import ConsortSpec
import Hummingbird

/// `GET /v1/health` and `GET /v1/metrics`: the node is up, and (for its own member) its Prometheus metrics.
struct HealthController {
    let service: TaskService
    let metrics: NodeMetrics

    func addRoutes(to router: Router<NodeRequestContext>) {
        router.get("/v1/health", use: self.health)
        router.get("/v1/metrics", use: self.metrics)
    }

    @Sendable func health(_ request: Request, context: NodeRequestContext) async throws -> HealthResponse {
        let caller = try context.caller
        try await self.service.authorizeOrRefuse(.health, caller)
        return HealthResponse(member: self.service.node.member.rawValue, peer: caller.identity.map { "\($0)" } ?? "")
    }

    @Sendable func metrics(_ request: Request, context: NodeRequestContext) async throws -> Response {
        try await self.service.authorizeOrRefuse(.metrics, try context.caller)
        let text = try await self.metrics.exposition(tasks: self.service.tasks, node: self.service.node)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
