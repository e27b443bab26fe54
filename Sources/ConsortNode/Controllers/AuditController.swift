import ConsortAudit
import ConsortClient
import ConsortSpec
import Hummingbird

/// The audit routes: the whole log and the checkpoints (auditors), and countersigning a peer node's checkpoint.
struct AuditController {
    let service: TaskService

    func addRoutes(to router: Router<NodeRequestContext>) {
        router.get("/v1/audit", use: self.log)
        router.get("/v1/audit/checkpoints", use: self.checkpoints)
        router.post("/v1/audit/head", use: self.head)
        router.post("/v1/audit/witness", use: self.witness)
        router.get("/v1/audit/witness", use: self.witnessed)
    }

    /// JSON Lines: one signed entry per line (`Specs/audit-entry.md`).
    @Sendable func log(_ request: Request, context: NodeRequestContext) async throws -> Response {
        try await self.service.authorizeOrRefuse(.auditRead, try context.caller)
        let entries = try await self.service.log.store.allEntries()
        return Self.lines(entries.map(AuditExport.line))
    }

    @Sendable func checkpoints(_ request: Request, context: NodeRequestContext) async throws -> Response {
        try await self.service.authorizeOrRefuse(.auditRead, try context.caller)
        let checkpoints = try await self.service.log.store.checkpoints(of: nil)
        return Self.lines(checkpoints.map { JSONWriter.string($0.json) })
    }

    /// A checkpoint of the log as it stands, signed now (and kept with the others): what a pulled log must hold.
    @Sendable func head(_ request: Request, context: NodeRequestContext) async throws -> Response {
        let caller = try context.caller
        try await self.service.authorizeOrRefuse(.auditHead, caller)
        let checkpoint = try await self.service.log.checkpoint(by: TaskService.actor(caller))
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.write(checkpoint.json))))
    }

    @Sendable func witnessed(_ request: Request, context: NodeRequestContext) async throws -> WitnessedResponse {
        try await self.service.witnessed(by: try context.caller)
    }

    @Sendable func witness(_ request: Request, context: NodeRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 1 << 16)
        let witness = try await self.service.witness(Array(body.readableBytesView), by: try context.caller)
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: witness)))
    }

    static func lines(_ lines: [String]) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/jsonl"],
            body: .init(byteBuffer: ByteBuffer(string: lines.map { $0 + "\n" }.joined())))
    }
}
