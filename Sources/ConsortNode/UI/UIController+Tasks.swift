import ConsortAudit
import ConsortClient
import ConsortPKI
import ConsortQuery
import ConsortSpec
import Crypto
import Foundation
import Hummingbird

/// A task's page and what the member's people do with it: upload a table (uploader), see the result (analyst of an
/// output party), halt it (signer of a member in `mayHalt`). The node acts on the consortium's nodes with the
/// member's identity for that role (`identities` in its configuration), never with the local user's password.
extension UIController {
    /// The largest CSV the UI takes in one upload.
    static let uploadLimit = 256 << 20

    /// `GET /tasks?id=…` (the overview's form): the task's page.
    @Sendable func openTask(_ request: Request, context: UIRequestContext) async throws -> Response {
        _ = try await self.require(request)
        let id = (request.uri.queryParameters.get("id") ?? "").lowercased()
        guard id.count == 64, Hex.decode(id) != nil else {
            throw HTTPError(.badRequest, message: "a task id is 64 hex digits")
        }
        return Self.redirect("/tasks/\(id)")
    }

    @Sendable func task(_ request: Request, context: UIRequestContext) async throws -> Response {
        let (_, session) = try await self.require(request)
        return try await self.taskPage(try self.taskID(context), session)
    }

    /// The task page; after a refused upload, with the problems found (`check`) or why (`error`).
    func taskPage(
        _ id: String, _ session: UISessions.Session, check: CSVCheck? = nil, error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let client = self.nodeClient()
        let cts: ComputationTaskSpecification
        do { cts = try await client.specification(task: id) } catch {
            return self.page(
                "error", self.frame("Not found", session) + ["heading": "No node answered for task \(id): \(error)"],
                status: .notFound)
        }
        let member = self.node.member
        let answers = (try? await client.status(task: id, only: Set(cts.parties.computing.map(\.rawValue)))) ?? []
        let nodes: [[String: Any]] = answers.map { answer in
            ["member": answer.member.rawValue, "state": answer.value?.state.rawValue ?? answer.refusal]
        }
        let tables = Array(Set(cts.parties.inputs.filter { $0.member == member }.map(\.table))).sorted()
        let uploads: [[String: Any]] = tables.compactMap { table in
            let journal = UploadJournal(root: self.uploadRoot, task: id, table: table)
            guard let upload = try? journal.upload() else { return nil }
            let receipts: [[String: Any]] = cts.parties.computing.map { party in
                let taken = journal.receipts(upload, for: party)
                guard taken.count == upload.batches, let last = taken.last else {
                    return ["node": party.rawValue, "missing": true]
                }
                return [
                    "node": party.rawValue, "rows": taken.reduce(0) { $0 + $1.rows }, "at": last.at,
                    "sha256": last.sha256, "missing": false,
                ]
            }
            return ["table": table, "batch": upload.id, "rows": upload.rows, "receipts": receipts]
        }
        var values: [String: Any] = [
            "task": id, "ctsID": cts.id, "purpose": cts.purpose,
            "nodes": nodes, "deadlines": Self.deadlines(cts.deadlines),
            "tables": tables.map { ["table": $0] }, "uploads": uploads,
            "canUpload": session.roles.contains(.uploader) && !tables.isEmpty,
            "canResult": session.roles.contains(.analyst) && cts.parties.outputs.contains(member),
            "canHalt": session.roles.contains(.signer) && cts.parties.mayHalt.contains(member),
        ]
        if let check {
            values["problems"] = check.problems.map {
                ["line": $0.line.map(String.init) ?? "", "column": $0.column ?? "", "reason": $0.reason]
            }
            values["problemCount"] = check.total
            values["moreProblems"] = check.total > check.problems.count ? check.total - check.problems.count : false
        }
        if let error { values["error"] = error }
        return self.page("task", self.frame(cts.title, session) + values, status: status)
    }

    // MARK: Upload

    /// Checks the CSV here and lists every problem (the first 100); a good file is secret-shared and sent to every
    /// computing party in the background, and the browser is sent to its progress page.
    @Sendable func upload(_ request: Request, context: UIRequestContext) async throws -> Response {
        let id = try self.taskID(context)
        guard let type = request.headers[.contentType], let boundary = MultipartForm.boundary(type) else {
            throw HTTPError(.unsupportedMediaType, message: "an upload is a multipart/form-data form")
        }
        let body = try await request.body.collect(upTo: Self.uploadLimit)
        let parsed = try? MultipartForm(body, boundary: boundary)
        let (_, session) = try await self.require(
            request, form: ["csrf": parsed?.fields["csrf"]?.text ?? ""], role: .uploader)
        guard let parsed, let tableName = parsed.fields["table"]?.text, let file = parsed.fields["file"] else {
            throw HTTPError(.badRequest, message: "the form is not an upload: choose a table and a CSV file")
        }
        let client: MemberClient
        do { client = try self.client(for: .uploader) } catch let error as NodeError {
            return try await self.taskPage(id, session, error: error.message, status: .internalServerError)
        }
        let cts: ComputationTaskSpecification
        do { cts = try await client.specification(task: id) } catch {
            return try await self.taskPage(id, session, error: "\(error)", status: .badGateway)
        }
        guard cts.parties.inputs.contains(where: { $0.member == self.node.member && $0.table == tableName }),
            let table = cts.table(named: tableName)
        else {
            return try await self.taskPage(
                id, session, error: "\(self.node.member) is not an input party of table '\(tableName)'",
                status: .forbidden)
        }
        let name = file.filename ?? "upload.csv"
        let bytes = Array(file.body.readableBytesView)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            try await self.audit(
                .requestDenied, who: session.user,
                ["what": .string("web UI upload"), "task": .string(id), "reason": .string("\(name) is not UTF-8 text")])
            return try await self.taskPage(
                id, session, error: "\(name) is not UTF-8 text.", status: .unprocessableContent)
        }
        let check = try CSVTable.check(text, table: table, source: name)
        guard let data = check.data else {
            try await self.audit(
                .requestDenied, who: session.user,
                [
                    "what": .string("web UI upload"), "task": .string(id), "table": .string(tableName),
                    "reason": .string("\(check.total) problem(s) in \(name); nothing was shared"),
                ])
            return try await self.taskPage(id, session, check: check, status: .unprocessableContent)
        }
        // The file's digest ties a retry (the same file again) to the same batch in the journal.
        let source = Hex.encode(SHA256.hash(data: bytes))
        let job = self.uploads.start(task: id, table: tableName, rows: data.rows)
        let progress = self.uploads.progress(job)
        let (root, user) = (self.uploadRoot, session.user)
        Task {
            var lines: [String] = []
            var failures = 0
            var details: [String: JSONValue] = [
                "task": .string(id), "table": .string(tableName), "rows": .number(JSONNumber(Int64(data.rows))),
            ]
            do {
                let upload = try await client.upload(
                    data, source: source, task: id, table: tableName, cts: cts, journal: root, progress: progress)
                lines = upload.partyLines
                failures = upload.failures
                details["upload"] = .string(upload.id)
                details["batches"] = .number(JSONNumber(Int64(upload.batches.count)))
                details["taken"] = .string(upload.taken.map(\.rawValue).joined(separator: ","))
            } catch {
                lines.append("\(error)")
                failures = 1
            }
            details["failures"] = .number(JSONNumber(Int64(failures)))
            self.uploads.finish(job, lines: lines, failures: failures)
            try? await self.audit(.uiUploaded, who: user, details)
        }
        return Self.redirect("/tasks/\(id)/uploads/\(job)")
    }

    /// An upload's progress (the page reloads itself each second until the upload ends), then each party's answer.
    @Sendable func uploadProgress(_ request: Request, context: UIRequestContext) async throws -> Response {
        let (_, session) = try await self.require(request, role: .uploader)
        let id = try self.taskID(context)
        guard let job = self.uploads.job(try context.parameters.require("job")), job.task == id else {
            return self.page(
                "error", self.frame("Not found", session) + ["heading": "No such upload on this node."],
                status: .notFound)
        }
        return self.page(
            "upload",
            self.frame("Upload of \(job.table)", session) + [
                "task": id, "table": job.table, "rows": job.rows, "percent": job.percent,
                "running": !job.finished, "refresh": !job.finished, "finished": job.finished, "lines": job.lines,
                "succeeded": job.finished && job.failures == 0,
            ])
    }

    // MARK: Result

    /// The result, put together from every computing party's shares: a table (suppressed cells marked), charts,
    /// and CSV or JSON to download (`?format=csv|json`).
    @Sendable func result(_ request: Request, context: UIRequestContext) async throws -> Response {
        let (_, session) = try await self.require(request, role: .analyst)
        let id = try self.taskID(context)
        let format = request.uri.queryParameters.get("format")
        let result: QueryResult
        let cts: ComputationTaskSpecification
        do {
            let client = try self.client(for: .analyst)
            cts = try await client.specification(task: id)
            result = try await client.result(task: id)
        } catch {
            let message = (error as? NodeError)?.message ?? "\(error)"
            try await self.audit(
                .requestDenied, who: session.user,
                ["what": .string("web UI result"), "task": .string(id), "reason": .string(message)])
            return self.page(
                "error", self.frame("No result", session) + ["heading": "No result for task \(id): \(message)"],
                status: .badGateway)
        }
        try await self.audit(
            .uiResultFetched, who: session.user,
            [
                "task": .string(id), "format": .string(format ?? "html"),
                "rows": .number(JSONNumber(Int64(result.rows.count))),
            ])
        switch format {
        case "csv":
            return Self.download(result.csv(), type: "text/csv; charset=utf-8", name: "\(cts.id).csv")
        case "json":
            return Self.download(result.json(), type: "application/json", name: "\(cts.id).json")
        default:
            let groups = (try? QueryChecker.check(cts))?.outputs.map(\.isGroup) ?? []
            let charts = ResultChart.charts(result, groups: groups)
            return self.page(
                "result",
                self.frame("Result of \(cts.title)", session) + [
                    "task": id, "columns": result.columns,
                    "rows": result.rows.map { row in
                        row.indices.map { column -> [String: Any] in
                            if let cell = row[column] { return ["value": QueryResult.text(cell), "suppressed": false] }
                            return result.groupColumns.contains(column)
                                ? ["value": "NULL", "suppressed": false] : ["value": "suppressed", "suppressed": true]
                        }
                    },
                    "suppressed": result.suppressed,
                    "excluded": result.excludedRows.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                        .joined(separator: ", "),
                    "charts": charts.map { ["title": $0.title, "svg": $0.svg] },
                ])
        }
    }

    // MARK: Halt

    /// A halt signed with the member's signer identity and sent to every node; it needs a reason and a confirmation.
    @Sendable func halt(_ request: Request, context: UIRequestContext) async throws -> Response {
        let form = try await Self.form(request, context: context)
        let (_, session) = try await self.require(request, form: form, role: .signer)
        let id = try self.taskID(context)
        let reason = (form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, form["confirm"] == "yes" else {
            return try await self.taskPage(
                id, session, error: "A halt needs a reason and the confirmation ticked.", status: .badRequest)
        }
        let answers: [NodeAnswer<HaltResponse>]
        do { answers = try await self.client(for: .signer).halt(task: id, reason: reason) } catch {
            return try await self.taskPage(id, session, error: "\(error)", status: .badGateway)
        }
        let refused = answers.filter { !$0.succeeded }
        try await self.audit(
            .uiHalted, who: session.user,
            [
                "task": .string(id), "reason": .string(reason),
                "refused": .string(refused.map { "\($0.member): \($0.refusal)" }.joined(separator: "; ")),
            ])
        guard refused.isEmpty else {
            return try await self.taskPage(
                id, session,
                error: "Not every node took the halt: "
                    + refused.map { "\($0.member): \($0.refusal)" }.joined(separator: "; "),
                status: .badGateway)
        }
        return Self.redirect("/tasks/\(id)")
    }

    // MARK: Helpers

    /// Where the UI's upload journals (batches and signed receipts) are kept.
    var uploadRoot: String { "\(self.node.dataDirectory)/ui-uploads" }

    func taskID(_ context: UIRequestContext) throws -> String {
        let id = try context.parameters.require("id")
        guard id.count == 64, Hex.decode(id) != nil else {
            throw HTTPError(.notFound, message: "a task id is 64 hex digits")
        }
        return id.lowercased()
    }

    /// The consortium as this node sees it, asked with the node's own certificate (a task's state and CTS).
    func nodeClient() -> MemberClient {
        MemberClient(identity: self.node.identity, root: self.node.root, directory: self.node.directory)
    }

    /// The consortium asked with the member's identity for `role` (`identities` in the configuration).
    func client(for role: InternalRole) throws -> MemberClient {
        guard let path = self.node.identities[role.rawValue] else {
            throw NodeError(
                .configuration,
                "this node holds no \(role.rawValue) identity of \(self.node.member) (\"identities\": {\"\(role.rawValue)\": \"DIR/NAME\"} in its configuration)"
            )
        }
        do {
            return MemberClient(
                identity: try SigningIdentity.load(identity: path), root: self.node.root,
                directory: self.node.directory)
        } catch {
            throw NodeError(.configuration, "cannot load the \(role.rawValue) identity \(path): \(error)")
        }
    }

    /// Each deadline, with a warning when it is less than 12 hours away or past.
    static func deadlines(_ deadlines: ComputationTaskSpecification.Deadlines, now: Date = Date()) -> [[String: Any]] {
        [("inputs", deadlines.inputs), ("compute", deadlines.compute), ("outputs", deadlines.outputs)].map {
            name, date in
            let left = date.timeIntervalSince(now)
            let warning: Any =
                left < 0 ? "past" : left < 12 * 3600 ? "in \(Int(left / 3600)) h \(Int(left) % 3600 / 60) min" : false
            return ["name": name, "at": DocumentReader.formatTimestamp(date), "soon": warning]
        }
    }

    static func download(_ text: String, type: String, name: String) -> Response {
        let safe = name.filter { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        return Response(
            status: .ok,
            headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(safe)\""],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
