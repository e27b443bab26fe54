import ConsortClient
import ConsortPKI
import ConsortSpec
import Hummingbird

/// The task routes: submit a signed CTS, list and read tasks, fetch the signed document, halt.
struct TaskController {
    let service: TaskService

    func addRoutes(to router: Router<NodeRequestContext>) {
        router.post("/v1/tasks", use: self.submit)
        router.get("/v1/tasks", use: self.list)
        router.get("/v1/tasks/{id}", use: self.status)
        router.get("/v1/tasks/{id}/document", use: self.document)
        router.post("/v1/tasks/{id}/halt", use: self.halt)
    }

    @Sendable func submit(_ request: Request, context: NodeRequestContext) async throws -> EditedResponse<TaskAccepted>
    {
        let body = try await request.body.collect(upTo: 1 << 20)
        let outcome = try await self.service.submit(Array(body.readableBytesView), by: try context.caller)
        return EditedResponse(
            status: outcome.created ? .created : .ok, response: TaskAccepted(task: outcome.task, state: outcome.state))
    }

    @Sendable func list(_ request: Request, context: NodeRequestContext) async throws -> TaskListResponse {
        let parameters = request.uri.queryParameters
        var limit = 100
        if let text = parameters["limit"] {
            guard let value = Int(String(text)), (1...1000).contains(value) else {
                throw NodeError(.invalidRequest, "limit must be a whole number from 1 to 1000, not '\(text)'")
            }
            limit = value
        }
        let page = try await self.service.list(
            for: try context.caller, after: parameters["after"].map(String.init), limit: limit)
        return TaskListResponse(
            node: self.service.node.member.rawValue,
            tasks: page.tasks.map {
                TaskListResponse.Item(task: $0.id, id: $0.ctsID, title: $0.title, state: $0.state)
            },
            next: page.next)
    }

    @Sendable func status(_ request: Request, context: NodeRequestContext) async throws -> TaskStatusResponse {
        let (record, cts) = try await self.service.status(try context.parameters.require("id"), for: try context.caller)
        return TaskStatusResponse(
            task: record.id, id: cts.id, state: record.state, node: self.service.node.member.rawValue)
    }

    @Sendable func document(_ request: Request, context: NodeRequestContext) async throws -> Response {
        let bytes = try await self.service.document(try context.parameters.require("id"), for: try context.caller)
        return Response(
            status: .ok, headers: [.contentType: "application/jose+json"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    @Sendable func halt(_ request: Request, context: NodeRequestContext) async throws -> HaltResponse {
        let body = try await request.body.collect(upTo: 1 << 16)
        let state = try await self.service.halt(
            Array(body.readableBytesView), task: try context.parameters.require("id"), by: try context.caller)
        return HaltResponse(state: state)
    }
}
