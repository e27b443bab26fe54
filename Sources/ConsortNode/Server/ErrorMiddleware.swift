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
            var allowed: [String] = []
            if let http = error as? any HTTPResponseError, http.status == .notFound {
                // The router's: no route for this method and path. A path the API has for other methods is a 405.
                allowed = Self.methods(serving: request.uri.path)
                refusal =
                    allowed.isEmpty
                    ? NodeError(.notFound, "no such route: \(request.uri.path)", underlying: error)
                    : NodeError(
                        .methodNotAllowed,
                        "\(request.uri.path) takes \(allowed.joined(separator: ", ")), not \(request.method)",
                        underlying: error)
            } else if let http = error as? any HTTPResponseError, (400..<500).contains(http.status.code) {
                refusal = NodeError(
                    http.status == .contentTooLarge ? .tooLarge : .invalidRequest,
                    "the request was refused: \(http.status.reasonPhrase)", underlying: error)
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
            var response = try refusal.response(from: request, context: context)
            if !allowed.isEmpty { response.headers[.allow] = allowed.joined(separator: ", ") }
            return response
        }
    }

    /// The methods the API serves at `path` (its routes are the access policy's, `{name}` matching one segment).
    static func methods(serving path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        let methods = AccessPolicy.builtIn.rules.filter { rule in
            rule.paths.contains { template in
                let pattern = template.split(separator: "/", omittingEmptySubsequences: false)
                return pattern.count == segments.count
                    && zip(pattern, segments).allSatisfy { expected, actual in
                        expected.hasPrefix("{") ? !actual.isEmpty : expected == actual
                    }
            }
        }.map { $0.method.uppercased() }
        return Array(Set(methods)).sorted()
    }
}
