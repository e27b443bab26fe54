import ConsortAudit
import ConsortSpec
import Hummingbird
import Logging

/// Turns every error a route throws into one JSON error response (`NodeError` is its own response). A `NodeError`
/// was audited where it was raised (every refusal of `TaskService` is); anything else — a malformed body Hummingbird
/// refused, a store that failed — is audited here as `request.failed`, logged, and answered without internals.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    let log: AuditLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as NodeError {
            NodeMetrics.refused(error.code)
            throw error
        } catch {
            let refusal: NodeError
            if let http = error as? any HTTPResponseError, (400..<500).contains(http.status.code) {
                refusal = NodeError(
                    .invalidRequest, "the request was refused: \(http.status.reasonPhrase)", underlying: error)
            } else {
                context.logger.error("request failed: \(String(reflecting: error))")
                refusal = NodeError(
                    .internalFailure, "the node could not handle the request (see its log)", underlying: error)
            }
            let actor = context.peer.map(TaskService.actor) ?? AuditActor(fingerprint: "-", subject: "unknown peer")
            _ = try? await self.log.append(
                try AuditDraft(
                    actor: actor, action: .requestFailed,
                    details: [
                        "path": .string(request.uri.path), "code": .string(refusal.code.description),
                        "reason": .string(refusal.message),
                    ]))
            NodeMetrics.refused(refusal.code)
            throw refusal
        }
    }
}
