import ConsortAudit
import ConsortClient
import ConsortMPC
import ConsortPKI
import ConsortQuery
import ConsortSpec
import Foundation
import Hummingbird
import Mustache

/// The web UI's pages: sign-in and sign-out, the overview (proposals waiting for this member first), a proposal's
/// review page with its sign and reject forms. Every form carries the session's CSRF token; every action is audited
/// with the local user's name; every page needs a session and the role its action needs.
struct UIController {
    let node: NodeConfiguration.Loaded
    let proposals: ProposalService
    let sessions: UISessions
    let uploads: UIUploads
    let overview = UITaskOverview()
    let templates: MustacheLibrary

    /// Cookies are named for the member: browsers send a cookie to every port of a host, and one machine may serve
    /// several members' UIs (the demo serves seven).
    var sessionCookie: String { "consort_\(self.node.member)_session" }
    var signInCookie: String { "consort_\(self.node.member)_sign_in" }

    func addRoutes(to router: Router<UIRequestContext>) {
        router.get("/sign-in", use: self.signInPage)
        router.post("/sign-in", use: self.signIn)
        router.post("/sign-out", use: self.signOut)
        router.get("/sign-in/link/{token}", use: self.signInWithLink)
        router.get("/", use: self.home)
        router.get("/proposals/{id}", use: self.proposal)
        router.post("/proposals/{id}/sign", use: self.sign)
        router.post("/proposals/{id}/reject", use: self.reject)
        router.get("/proposals/new", use: self.newProposal)
        router.post("/proposals", use: self.propose)
        router.get("/tasks", use: self.openTask)
        router.get("/tasks/{id}", use: self.task)
        router.post("/tasks/{id}/upload", use: self.upload)
        router.get("/tasks/{id}/uploads/{job}", use: self.uploadProgress)
        router.get("/tasks/{id}/result", use: self.result)
        router.post("/tasks/{id}/halt", use: self.halt)
        router.get("/audit", use: self.auditPage)
        router.post("/audit", use: self.verifyAudit)
    }

    // MARK: Signing in

    @Sendable func signInPage(_ request: Request, context: UIRequestContext) async throws -> Response {
        // Before there is a session, the form's CSRF token is a cookie of its own, echoed in the form.
        let token = UISessions.token()
        var response = self.page("sign_in", ["title": "Sign in", "csrf": token])
        response.setCookie(self.cookie(self.signInCookie, token))
        return response
    }

    @Sendable func signIn(_ request: Request, context: UIRequestContext) async throws -> Response {
        let form = try await Self.form(request, context: context)
        let name = form["name"] ?? ""
        guard let expected = request.cookies[self.signInCookie]?.value, let token = form["csrf"],
            UISessions.same(expected, token)
        else { return try await self.refuse(.forbidden, "The form has expired; sign in again.", who: name) }
        let users = try LocalUsers.read(data: self.node.dataDirectory)
        guard let user = users.authenticate(name: name, password: form["password"] ?? "") else {
            try await self.audit(
                .requestDenied, who: name,
                ["what": .string("web UI sign-in"), "reason": .string("wrong name or password")])
            var response = self.page(
                "sign_in", ["title": "Sign in", "csrf": token, "error": "Wrong user name or password."],
                status: .unauthorized)
            response.setCookie(self.cookie(self.signInCookie, token))
            return response
        }
        let session = self.sessions.open(user: user.name, roles: Set(user.roles))
        try await self.audit(
            .uiSignedIn, who: user.name, ["roles": .string(user.roles.map(\.rawValue).joined(separator: ","))])
        var response = Self.redirect("/")
        response.setCookie(self.cookie(self.sessionCookie, session))
        response.setCookie(self.cookie(self.signInCookie, "", maxAge: 0))
        return response
    }

    /// A one-time link (`SignInLinks`): a session for its user, or the sign-in page when it is unknown, used or
    /// expired. Either way it is audited.
    @Sendable func signInWithLink(_ request: Request, context: UIRequestContext) async throws -> Response {
        let token = try context.parameters.require("token")
        guard let name = SignInLinks.redeem(token, data: self.node.dataDirectory),
            let user = try LocalUsers.read(data: self.node.dataDirectory).users.first(where: { $0.name == name })
        else {
            try await self.audit(
                .requestDenied, who: "",
                ["what": .string("web UI sign-in link"), "reason": .string("unknown, used or expired link")])
            return Self.redirect("/sign-in")
        }
        let session = self.sessions.open(user: user.name, roles: Set(user.roles))
        try await self.audit(
            .uiSignedIn, who: user.name,
            ["roles": .string(user.roles.map(\.rawValue).joined(separator: ",")), "via": .string("one-time link")])
        var response = Self.redirect("/")
        response.setCookie(self.cookie(self.sessionCookie, session))
        return response
    }

    @Sendable func signOut(_ request: Request, context: UIRequestContext) async throws -> Response {
        let form = try await Self.form(request, context: context)
        let (token, session) = try await self.require(request, form: form)
        self.sessions.close(token)
        try await self.audit(.uiSignedOut, who: session.user, [:])
        var response = Self.redirect("/sign-in")
        response.setCookie(self.cookie(self.sessionCookie, "", maxAge: 0))
        return response
    }

    // MARK: Pages

    @Sendable func home(_ request: Request, context: UIRequestContext) async throws -> Response {
        let (_, session) = try await self.require(request)
        let member = self.node.member.rawValue
        let list = try await self.proposals.list().proposals
        let canSign = session.roles.contains(.signer)
        func waiting(_ view: ProposalView) -> Bool { canSign && view.state == .open && view.missing.contains(member) }
        // Those waiting for this member's signature first, then newest first.
        let ordered = list.filter(waiting) + list.filter { !waiting($0) }
        let rows: [[String: Any]] = ordered.map { view in
            [
                "proposal": view.proposal, "title": view.title, "id": view.id, "version": view.version,
                "state": view.state.rawValue, "missing": view.missing.joined(separator: ", "),
                "waitingForMe": waiting(view), "task": view.task.map { $0 as Any } ?? false,
            ]
        }
        // Tasks as the computing parties hold them, asked with any of the member's identities on this node.
        var tasks: [[String: Any]] = []
        var taskNote = "This node holds no identity of \(member) to ask the computing parties with."
        if let role = [InternalRole.signer, .uploader, .analyst, .auditor].first(where: {
            self.node.identities[$0.rawValue] != nil
        }), let client = try? self.client(for: role) {
            let (found, problems) = await self.overview.rows(
                client: client, member: self.node.member, roles: session.roles, uploads: self.uploadRoot)
            tasks = found.map {
                ["task": $0.task, "title": $0.title, "states": $0.states, "waiting": $0.waiting ?? false]
            }
            taskNote =
                problems.isEmpty
                ? (found.isEmpty ? "No tasks of \(member) at the computing parties." : "")
                : "Not every computing party answered: " + problems.joined(separator: "; ")
        }
        return self.page(
            "home",
            self.frame("Overview", session) + [
                "proposals": rows, "hasProposals": !rows.isEmpty, "canPropose": canSign,
                "canAudit": session.roles.contains(.auditor), "tasks": tasks, "hasTasks": !tasks.isEmpty,
                "taskNote": taskNote,
            ])
    }

    @Sendable func proposal(_ request: Request, context: UIRequestContext) async throws -> Response {
        let (_, session) = try await self.require(request)
        let id = try context.parameters.require("id")
        let view: ProposalView
        let record: ProposalRecord
        do {
            view = try await self.proposals.view(id)
            record = try await self.proposals.record(id)
        } catch let error as NodeError where error.code == .notFound {
            return self.page("error", self.frame("Not found", session) + ["heading": error.message], status: .notFound)
        }
        let member = self.node.member.rawValue
        let cts = try? ProposalService.specification(record.sync.cts)
        return self.page(
            "proposal",
            self.frame(view.title, session) + [
                "proposal": view.proposal, "version": view.version, "proposer": view.proposer,
                "state": view.state.rawValue, "hash": view.hash,
                "signed": view.signed.isEmpty ? "nobody yet" : view.signed.joined(separator: ", "),
                "missing": view.missing.isEmpty ? "nobody" : view.missing.joined(separator: ", "),
                "rejections": view.rejections.map {
                    ["version": $0.version, "member": $0.member, "at": $0.at, "reason": $0.reason] as [String: Any]
                },
                "summary": await Self.review(record.sync.cts, hash: view.hash),
                "deadlines": cts.map { Self.deadlines($0.deadlines) } ?? [],
                "dryRun": cts.map { ReviewAids.dryRun($0) } ?? "",
                "previous": record.previous.map { previous -> [String: Any] in
                    [
                        "version": previous.version,
                        "lines": ReviewAids.diff(previous.cts, record.sync.cts).map {
                            ["kind": $0.kind.rawValue, "text": $0.text]
                        },
                    ]
                } ?? false,
                "canAnswer": session.roles.contains(.signer) && view.state == .open && view.missing.contains(member),
                // Absent, not "nil", until the proposal is a task.
                "task": view.task.map { $0 as Any } ?? false,
            ])
    }

    // MARK: Actions

    @Sendable func sign(_ request: Request, context: UIRequestContext) async throws -> Response {
        let form = try await Self.form(request, context: context)
        let (_, session) = try await self.require(request, form: form, role: .signer)
        let id = try context.parameters.require("id")
        guard let path = self.node.identities["signer"] else {
            return self.page(
                "error",
                self.frame("Cannot sign", session) + [
                    "heading":
                        "This node holds no signer identity of \(self.node.member) (\"identities\": {\"signer\": \"DIR/NAME\"} in its configuration)."
                ], status: .internalServerError)
        }
        let signer = try SigningIdentity.load(identity: path)
        return try await self.act(on: id, session) {
            _ = try await self.proposals.sign(
                id, reviewed: form["hash"] ?? "", with: signer, by: self.actor(session.user))
        }
    }

    @Sendable func reject(_ request: Request, context: UIRequestContext) async throws -> Response {
        let form = try await Self.form(request, context: context)
        let (_, session) = try await self.require(request, form: form, role: .signer)
        let id = try context.parameters.require("id")
        return try await self.act(on: id, session) {
            _ = try await self.proposals.reject(
                id, ProposalRejectRequest(version: form["hash"] ?? "", reason: form["reason"] ?? ""),
                by: self.actor(session.user))
        }
    }

    /// Runs an action on proposal `id` and returns to its page, or shows why it was refused (already audited).
    func act(on id: String, _ session: UISessions.Session, _ action: () async throws -> Void) async throws
        -> Response
    {
        do { try await action() } catch let error as NodeError {
            return self.page(
                "error", self.frame("Refused", session) + ["heading": error.message], status: error.status)
        }
        return Self.redirect("/proposals/\(id)")
    }

    // MARK: Sessions, forms, pages

    /// The signed-in session, or a redirect to sign in (thrown); for a posted `form`, its CSRF token must be the
    /// session's; with `role`, the user must hold it. Refusals are audited with the user's name.
    func require(_ request: Request, form: [String: String]? = nil, role: InternalRole? = nil) async throws
        -> (String, UISessions.Session)
    {
        guard let token = request.cookies[self.sessionCookie]?.value, let session = self.sessions.session(token) else {
            throw UIRedirect(location: "/sign-in")
        }
        if let form {
            guard let sent = form["csrf"], UISessions.same(sent, session.csrf) else {
                throw try await self.refusal(
                    .forbidden, "The form is not from this session (CSRF token).", who: session.user)
            }
        }
        if let role, !session.roles.contains(role) {
            throw try await self.refusal(
                .forbidden, "\(session.user) does not hold the role \(role.rawValue) this needs.", who: session.user)
        }
        return (token, session)
    }

    func refusal(_ status: HTTPResponse.Status, _ message: String, who: String) async throws -> UIRefusal {
        try await self.audit(.requestDenied, who: who, ["what": .string("web UI"), "reason": .string(message)])
        return UIRefusal(
            status: status, message: message,
            page: self.page("error", self.frame("Refused", nil) + ["heading": message], status: status))
    }

    func refuse(_ status: HTTPResponse.Status, _ message: String, who: String) async throws -> Response {
        try await self.refusal(status, message, who: who).page
    }

    /// The URL-encoded form of a POST (at most `limit` bytes), read once per request.
    static func form(_ request: Request, context: UIRequestContext, limit: Int = 1 << 16) async throws
        -> [String: String]
    {
        let body = try await request.body.collect(upTo: limit)
        let text = String(buffer: body)
        return (try? URLEncodedFormDecoder().decode([String: String].self, from: text)) ?? [:]
    }

    func frame(_ title: String, _ session: UISessions.Session?) -> [String: Any] {
        var values: [String: Any] = ["title": title, "member": self.node.member.rawValue]
        if let session {
            values["user"] = [
                "name": session.user, "roles": session.roles.map(\.rawValue).sorted().joined(separator: ", "),
                "csrf": session.csrf,
            ]
            values["csrf"] = session.csrf
        }
        return values
    }

    func page(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var values = values
        values["member"] = self.node.member.rawValue
        let html = self.templates.render(values, withTemplate: template) ?? "template \(template) is missing"
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func cookie(_ name: String, _ value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", httpOnly: true, sameSite: .strict)
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// A web UI user as the audit log names them: through this node, by their local name.
    func actor(_ user: String) -> AuditActor {
        AuditActor(fingerprint: "-", subject: "consort://\(self.node.member)/ui-user/\(user)")
    }

    func audit(_ action: AuditAction, who: String, _ details: [String: JSONValue]) async throws {
        var object = JSONObject()
        for (key, value) in details.sorted(by: { $0.key < $1.key }) { object[key] = value }
        _ = try await self.proposals.log.append(
            try AuditDraft(actor: self.actor(who.isEmpty ? "(no name)" : who), action: action, details: object))
    }

    /// What a signer reviews (`SignerReview`), for this version's exact text.
    static func review(_ text: String, hash: String) async -> String {
        guard let document = try? SpecificationDocument(bytes: Array(text.utf8)),
            let (cts, diagnostics) = try? document.specification(engines: EngineRegistry.shared), let cts
        else { return "This version is not a readable CTS." }
        return await SignerReview.text(cts, taskID: hash, diagnostics: diagnostics)
    }
}

/// Thrown by a page that needs a session: the browser is sent to sign in.
struct UIRedirect: HTTPResponseError {
    let location: String
    var status: HTTPResponse.Status { .seeOther }
    func response(from request: Request, context: some RequestContext) throws -> Response {
        UIController.redirect(self.location)
    }
}

/// Thrown when a session may not do what it asked: the page saying why.
struct UIRefusal: HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    let page: Response
    func response(from request: Request, context: some RequestContext) throws -> Response { self.page }
}

extension Dictionary where Key == String, Value == Any {
    /// A page's values: the frame's, then the page's own.
    static func + (frame: [String: Any], page: [String: Any]) -> [String: Any] {
        frame.merging(page) { $1 }
    }
}
