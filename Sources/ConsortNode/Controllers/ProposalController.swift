import ConsortClient
import Hummingbird

/// The proposal routes: a member's people draft, review, sign and reject on their own node; member nodes send each
/// other proposals and answers (`ProposalService`).
struct ProposalController {
    let service: ProposalService

    func addRoutes(to router: Router<NodeRequestContext>) {
        router.get("/v1/proposals", use: self.list)
        router.post("/v1/proposals", use: self.create)
        router.get("/v1/proposals/{id}", use: self.read)
        router.get("/v1/proposals/{id}/document", use: self.document)
        router.post("/v1/proposals/{id}/versions", use: self.revise)
        router.post("/v1/proposals/{id}/sign", use: self.sign)
        router.post("/v1/proposals/{id}/reject", use: self.reject)
        router.post("/v1/proposals/{id}/sync", use: self.sync)
        router.post("/v1/proposals/{id}/replies", use: self.reply)
    }

    @Sendable func list(_ request: Request, context: NodeRequestContext) async throws -> ProposalListResponse {
        try await self.service.list(for: try context.caller)
    }

    @Sendable func create(_ request: Request, context: NodeRequestContext) async throws -> EditedResponse<ProposalView>
    {
        let body = try await Self.body(request)
        return EditedResponse(status: .created, response: try await self.service.create(body, by: try context.caller))
    }

    @Sendable func read(_ request: Request, context: NodeRequestContext) async throws -> ProposalView {
        try await self.service.read(try context.parameters.require("id"), for: try context.caller)
    }

    @Sendable func document(_ request: Request, context: NodeRequestContext) async throws -> Response {
        let bytes = try await self.service.document(try context.parameters.require("id"), for: try context.caller)
        return Response(
            status: .ok, headers: [.contentType: bytes.first == UInt8(ascii: "{") ? "application/json" : "text/plain"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    @Sendable func revise(_ request: Request, context: NodeRequestContext) async throws -> EditedResponse<ProposalView>
    {
        let body = try await Self.body(request)
        let view = try await self.service.revise(try context.parameters.require("id"), body, by: try context.caller)
        return EditedResponse(status: .created, response: view)
    }

    @Sendable func sign(_ request: Request, context: NodeRequestContext) async throws -> ProposalView {
        let body = try await Self.body(request)
        return try await self.service.sign(try context.parameters.require("id"), body, by: try context.caller)
    }

    @Sendable func reject(_ request: Request, context: NodeRequestContext) async throws -> ProposalView {
        let body = try await Self.body(request)
        return try await self.service.reject(try context.parameters.require("id"), body, by: try context.caller)
    }

    @Sendable func sync(_ request: Request, context: NodeRequestContext) async throws -> ProposalView {
        let body = try await Self.body(request)
        return try await self.service.receive(try context.parameters.require("id"), body, from: try context.caller)
    }

    @Sendable func reply(_ request: Request, context: NodeRequestContext) async throws -> ProposalView {
        let body = try await Self.body(request)
        return try await self.service.reply(try context.parameters.require("id"), body, from: try context.caller)
    }

    /// A CTS, a signature or an answer: at most 1 MiB, as for a submitted CTS.
    static func body(_ request: Request) async throws -> [UInt8] {
        Array(try await request.body.collect(upTo: 1 << 20).readableBytesView)
    }
}
