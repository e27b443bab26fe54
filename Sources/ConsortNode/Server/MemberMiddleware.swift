import ConsortAudit
import ConsortPKI
import ConsortSpec
import Hummingbird
import Logging

/// Every request must come from a member the directory lists (the TLS handshake already checked; this is the
/// second line): otherwise 403, and the refusal is audited. Accepted requests log with the caller's identity.
struct MemberMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    let directory: DirectoryInForce
    let log: AuditLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard let peer = context.peer, let member = peer.memberID, self.directory.current.member(member) != nil else {
            let actor = context.peer.map(TaskService.actor) ?? AuditActor(fingerprint: "-", subject: "unknown peer")
            try await self.log.append(
                try AuditDraft(actor: actor, action: .requestDenied, details: ["path": .string(request.uri.path)]))
            let error = NodeError(.forbidden, "\(actor.subject) is not a member of this consortium's directory")
            NodeMetrics.refused(error.code)
            return try error.response(from: request, context: context)
        }
        var context = context
        context.logger[metadataKey: LoggingMetadata.peer] = .string(peer.identity.map { "\($0)" } ?? peer.subject)
        return try await next(request, context)
    }
}
