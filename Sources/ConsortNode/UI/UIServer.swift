import ConsortAudit
import ConsortPKI
import ConsortSpec
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import ServiceLifecycle

/// The member's web UI (issue 14): plain HTTP on a loopback address of its own (`ui` in the configuration; never the
/// mutual-TLS API port), for the member's own people, who sign in as local users (`LocalUsers`). Pages are rendered
/// on the server from the Mustache templates in `Resources/ui`; no script, font or style comes from elsewhere.
/// Connections from other machines are refused unless `uiAllowRemote` (then put TLS in front of it).
struct UIServer {
    let node: NodeConfiguration.Loaded
    let proposals: ProposalService
    let sessions: UISessions
    let logger: Logger

    static func templates() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, bytes) in [
            ("head", PackageResources.head_mustache), ("foot", PackageResources.foot_mustache),
            ("sign_in", PackageResources.sign_in_mustache), ("home", PackageResources.home_mustache),
            ("proposal", PackageResources.proposal_mustache), ("error", PackageResources.error_mustache),
            ("new_proposal", PackageResources.new_proposal_mustache), ("task", PackageResources.task_mustache),
            ("upload", PackageResources.upload_mustache), ("result", PackageResources.result_mustache),
            ("audit", PackageResources.audit_mustache),
        ] {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        return library
    }

    /// The HTTP application on `address` (HOST:PORT).
    func application(address: String) throws -> some Service {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
            (1...65_535).contains(port)
        else {
            throw NodeError(.configuration, "ui '\(address)' is not HOST:PORT")
        }
        let host = String(address[..<colon])
        guard host != self.node.host || port != self.node.port else {
            throw NodeError(.configuration, "the web UI must not share the mutual-TLS API's address \(address)")
        }
        let router = Router(context: UIRequestContext.self)
        router.add(
            middleware: UIGuard(
                allowRemote: self.node.configuration.uiAllowRemote ?? false, log: self.proposals.log))
        UIController(
            node: self.node, proposals: self.proposals, sessions: self.sessions, uploads: UIUploads(),
            templates: try Self.templates()
        ).addRoutes(to: router)
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "consort-ui"),
            logger: self.logger)
    }
}

/// Refuses connections that do not come from this machine (unless allowed), and sets the headers every page carries:
/// no framing, no sniffing, no referrer, a content security policy that allows this origin's forms and nothing else.
struct UIGuard: RouterMiddleware {
    typealias Context = UIRequestContext
    let allowRemote: Bool
    let log: AuditLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard self.allowRemote || context.isLoopback else {
            let address = context.remoteAddress?.ipAddress ?? "unknown"
            _ = try? await self.log.append(
                try AuditDraft(
                    actor: AuditActor(fingerprint: "-", subject: "web UI client at \(address)"),
                    action: .requestDenied,
                    details: ["what": .string("web UI"), "reason": .string("not a loopback address")]))
            return Response(
                status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "The web UI takes connections from this machine only.\n")))
        }
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
