import ConsortClient
import Hummingbird

/// The data routes: an input party's upload of one table's shares, an output party's fetch of the result shares.
struct DataController {
    let service: TaskService

    func addRoutes(to router: Router<NodeRequestContext>) {
        router.post("/v1/tasks/{id}/inputs/{table}", use: self.upload)
        router.get("/v1/tasks/{id}/output", use: self.output)
    }

    @Sendable func upload(_ request: Request, context: NodeRequestContext) async throws -> EditedResponse<
        UploadResponse
    > {
        // Who may upload what is decided before a byte of the body is read; then at most what the table can hold,
        // streamed to disk as it arrives.
        let admission = try await self.service.admitUpload(
            task: try context.parameters.require("id"), table: try context.parameters.require("table"),
            batch: request.uri.queryParameters.get("batch") ?? "", final: request.uri.queryParameters.get("final"),
            by: try context.caller)
        if let length = request.headers[.contentLength].flatMap(Int.init), length > admission.maximumBytes {
            try await self.service.refuseUpload(admission.tooLarge, admission)
        }
        let receipt = try await self.service.upload(body: request.body, admission)
        return EditedResponse(status: .created, response: receipt)
    }

    @Sendable func output(_ request: Request, context: NodeRequestContext) async throws -> Response {
        let bytes = try await self.service.output(try context.parameters.require("id"), for: try context.caller)
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
