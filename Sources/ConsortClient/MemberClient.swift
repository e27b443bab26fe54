import ConsortPKI
import ConsortQuery
import ConsortSpec
import ConsortTransport
import Crypto
import Foundation
import X509

/// What a member's tools do with the consortium's nodes, over mutual TLS as the member's identity: read a task's CTS,
/// submit it, follow it, halt it, validate and secret-share a CSV here and upload a share to every computing party
/// (with signed receipts), collect and check the result shares, and pull the audit logs. The CLI is a thin layer over
/// this; a web UI and other tools use it the same way.
package struct MemberClient: Sendable {
    package let identity: SigningIdentity
    package let root: Certificate
    /// The operator-signed member directory, verified under `root`.
    package let directory: MemberDirectory
    package let nodes: NodeClient

    package init(identity: SigningIdentity, root: Certificate, directory: MemberDirectory) {
        self.identity = identity
        self.root = root
        self.directory = directory
        self.nodes = NodeClient(
            authentication: TLSPeerAuthentication(identity: identity, verifier: ConsortVerifier(root: root)))
    }

    /// A client acting as `identity`, trusting the root in `rootFile` and the directory in `directoryFile` (verified).
    package static func load(identity: SigningIdentity, directory directoryFile: String, root rootFile: String) throws
        -> MemberClient
    {
        let root: Certificate
        do {
            guard let anchor = try PEMFiles.readCertificates(rootFile).first else {
                throw ClientError(.configuration, "\(rootFile) holds no certificate")
            }
            root = anchor
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError(.configuration, "cannot read the operator root \(rootFile): \(error)", underlying: error)
        }
        let bytes: [UInt8]
        do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: directoryFile))) } catch {
            throw ClientError(
                .configuration, "cannot read the member directory \(directoryFile): \(error.localizedDescription)",
                underlying: error)
        }
        return MemberClient(identity: identity, root: root, directory: try MemberDirectory.verify(bytes, root: root))
    }

    /// The nodes of the directory (members with an endpoint).
    package var nodeMembers: [MemberID] { self.directory.members.filter { $0.endpoint != nil }.map(\.id) }

    /// The nodes that hold tasks: the computing parties' (other members' nodes hold proposals, not tasks).
    package var taskNodes: [MemberID] {
        self.directory.members.filter { $0.endpoint != nil && $0.roles.contains(.compute) }.map(\.id)
    }

    // MARK: Asking nodes

    /// Sends one request to `member`'s node and decodes a 2xx answer as `Value`; a refusal carries the node's message.
    package func ask<Value: APIBody>(
        _ method: NodeClient.Method, _ path: String, body: [UInt8] = [], of member: MemberID, as type: Value.Type,
        timeout: Duration = .seconds(30), progress: (@Sendable (Int) -> Void)? = nil
    ) async -> NodeAnswer<Value> {
        guard let endpoint = self.directory.member(member)?.endpoint else {
            return .failed(member, ClientError(.configuration, "no node endpoint in the directory"))
        }
        let response: NodeClient.Response
        do {
            response = try await self.nodes.request(
                method, path, body: body, to: endpoint, node: member, timeout: timeout, progress: progress)
        } catch let error as ClientError {
            return .failed(member, error)
        } catch {
            return .failed(member, ClientError(.unavailable, "\(error)", underlying: error))
        }
        guard (200..<300).contains(response.status) else {
            let message =
                (try? APIJSON.decode(ErrorResponse.self, from: Array(response.body.utf8)))?.message ?? response.body
            return NodeAnswer(
                member: member, status: response.status, body: response.body, value: nil,
                error: ClientError(.refused, "\(member) refused: \(message)", status: response.status))
        }
        var answer = NodeAnswer<Value>(
            member: member, status: response.status, body: response.body, value: nil, error: nil)
        answer.nodeChain = response.peerChain
        do { answer.value = try Value.decode(Array(response.body.utf8)) } catch {
            answer.error = ClientError(
                .invalidResponse, "\(member) answered what the API does not say: \(error)", underlying: error)
        }
        return answer
    }

    /// The same request to each of `members` at once; the answers in `members`' order.
    package func askEach<Value: APIBody>(
        _ members: [MemberID], _ method: NodeClient.Method, _ path: String, body: [UInt8] = [], as type: Value.Type,
        timeout: Duration = .seconds(30)
    ) async -> [NodeAnswer<Value>] {
        await withTaskGroup(of: (Int, NodeAnswer<Value>).self) { group in
            for (index, member) in members.enumerated() {
                group.addTask {
                    (index, await self.ask(method, path, body: body, of: member, as: type, timeout: timeout))
                }
            }
            return await group.reduce(into: [(Int, NodeAnswer<Value>)]()) { $0.append($1) }.sorted { $0.0 < $1.0 }.map(
                \.1)
        }
    }

    // MARK: Tasks

    /// The task's signed CTS from one of the nodes, checked against the task id (its SHA-256).
    package func specification(task: String) async throws -> ComputationTaskSpecification {
        var problems: [String] = []
        for member in self.taskNodes {
            let answer = await self.ask(.get, "/v1/tasks/\(task)/document", of: member, as: RawBody.self)
            guard let body = answer.value else {
                problems.append("\(member): \(answer.error.map { "\($0)" } ?? answer.body)")
                continue
            }
            do {
                let document = try SpecificationDocument(bytes: body.bytes)
                guard document.taskID == task, let cts = try document.specification().0 else {
                    problems.append("\(member): the document does not match task \(task)")
                    continue
                }
                return cts
            } catch {
                problems.append("\(member): \(error)")
            }
        }
        throw ClientError(.unavailable, "no node returned task \(task): " + problems.joined(separator: "; "))
    }

    /// Submits a signed CTS to each of its computing parties.
    package func submit(_ signed: [UInt8]) async throws -> (task: String, answers: [NodeAnswer<TaskAccepted>]) {
        let document: SpecificationDocument
        do { document = try SpecificationDocument(bytes: signed) } catch {
            throw ClientError(.invalidInput, "not a CTS: \(error)", underlying: error)
        }
        guard let cts = try? document.specification().0 else { throw ClientError(.invalidInput, "not a readable CTS") }
        // The nodes would refuse a query they cannot run; say so before asking them.
        do { _ = try await QueryAdmission.admit(cts) } catch {
            throw ClientError(.invalidInput, "the query is rejected: \(error)", underlying: error)
        }
        return (
            document.taskID,
            await self.askEach(cts.parties.computing, .post, "/v1/tasks", body: signed, as: TaskAccepted.self)
        )
    }

    /// The task's state at every node (or at `only` those).
    package func status(task: String, only: Set<String> = []) async throws -> [NodeAnswer<TaskStatusResponse>] {
        let unknown = only.subtracting(self.taskNodes.map(\.rawValue))
        guard unknown.isEmpty else {
            throw ClientError(
                .invalidInput,
                "the directory lists no computing-party node of \(unknown.sorted().joined(separator: ", "))")
        }
        return await self.askEach(
            self.taskNodes.filter { only.isEmpty || only.contains($0.rawValue) }, .get, "/v1/tasks/\(task)",
            as: TaskStatusResponse.self)
    }

    /// One page (up to `limit`, after the task `after`) of this member's tasks, as each node knows them.
    package func list(after: String? = nil, limit: Int? = nil) async -> [NodeAnswer<TaskListResponse>] {
        let unreserved = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let query = [
            after.map { "after=\($0.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "")" },
            limit.map { "limit=\($0)" },
        ].compactMap { $0 }
        return await self.askEach(
            self.taskNodes, .get, "/v1/tasks" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")),
            as: TaskListResponse.self)
    }

    /// Halts a task everywhere with a statement signed by this identity (a signer of a member in `mayHalt`).
    package func halt(task: String, reason: String, at time: Date = Date()) async throws -> [NodeAnswer<HaltResponse>] {
        let signer: VerifiedIdentity
        do {
            signer = try await ConsortVerifier(root: self.root).verify(chain: self.identity.chain, usage: .signer)
        } catch {
            throw ClientError(.configuration, "the identity cannot sign: \(error)", underlying: error)
        }
        guard let member = signer.memberID else {
            throw ClientError(.configuration, "the identity is not a member's signer")
        }
        var jws = MultiSignatureJWS(payload: Self.haltStatement(task: task, reason: reason, at: time))
        try jws.sign(as: self.identity, member: member)
        return await self.askEach(
            self.taskNodes, .post, "/v1/tasks/\(task)/halt", body: jws.serialized(), as: HaltResponse.self)
    }

    /// The payload of a signed halt (`HaltStatement` in `Specs/openapi.yaml`).
    package static func haltStatement(task: String, reason: String, at time: Date) -> [UInt8] {
        JSONWriter.write(
            .object(
                JSONObject([
                    ("consort", .string("halt/1")), ("task", .string(task)), ("reason", .string(reason)),
                    ("at", .string(DocumentReader.formatTimestamp(time))),
                ])))
    }

    // MARK: Inputs

    /// One upload: its batch id, rows, and the answers of the computing parties asked (receipts verified).
    package struct Upload: Sendable {
        package var batch: String
        package var rows: Int
        /// The answers of the parties asked this time.
        package var answers: [NodeAnswer<UploadResponse>]
        /// Parties that took this batch in an earlier attempt (their receipts are in the journal).
        package var takenEarlier: [MemberID] = []
        /// Where the batch, the shares not yet taken and the receipts are kept, when journalled.
        package var journal: String?

        package var failures: Int { self.answers.filter { !$0.succeeded }.count }
        /// Every party that holds this batch, from earlier attempts and this one.
        package var taken: [MemberID] { self.takenEarlier + self.answers.filter(\.succeeded).map(\.member) }
    }

    /// Reads and validates a CSV against the task's table here (nothing leaves on a bad row), then uploads it.
    ///
    /// With a journal root, the batch is recorded there before anything is sent (`UploadJournal`): running the same
    /// upload again after a failure sends the same shares under the same batch to the parties that have not taken it,
    /// and a different file for the same table is refused here while a batch is begun.
    package func upload(
        csv path: String, task: String, table: String, journal root: String? = nil,
        progress: (any UploadProgress)? = nil
    ) async throws -> Upload {
        let cts = try await self.specification(task: task)
        guard let model = cts.table(named: table) else {
            throw ClientError(.invalidInput, "task \(cts.id) has no table '\(table)'")
        }
        let data: TableData
        do { data = try CSVTable.read(path, table: model) } catch let error as QueryError {
            throw ClientError(.invalidInput, "\(error)", underlying: error)
        }
        guard let root else {
            return try await self.upload(data, task: task, table: table, cts: cts, progress: progress)
        }
        let source = Hex.encode(SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))))
        return try await self.upload(
            data, source: source, task: task, table: table, cts: cts, journal: root, progress: progress)
    }

    /// Rows already read and checked, journalled under `root` (`source`: the SHA-256 of the file they came from,
    /// which ties a retry to the same rows): the batch is recorded before anything is sent, and sent to the parties
    /// that have not taken it.
    package func upload(
        _ data: TableData, source: String, task: String, table: String, cts: ComputationTaskSpecification,
        journal root: String, progress: (any UploadProgress)? = nil
    ) async throws -> Upload {
        guard let model = cts.table(named: table) else {
            throw ClientError(.invalidInput, "task \(cts.id) has no table '\(table)'")
        }
        let journal = UploadJournal(root: root, task: task, table: table)
        let batch: UploadJournal.Batch
        if let begun = try journal.batch() {
            guard begun.source == source else {
                throw ClientError(
                    .invalidInput,
                    "table '\(table)' of task \(task) already has batch \(begun.batch) (\(begun.rows) rows, begun "
                        + "\(begun.started)) from a different file: upload that file again to finish it, or remove "
                        + "\(journal.directory) to give it up (a node that took it refuses any other)")
            }
            batch = begun
        } else {
            let bodies = try self.deal(data, task: task, table: model, cts: cts)
            batch = UploadJournal.Batch(
                batch: UUID().uuidString.lowercased(), rows: data.rows, source: source,
                started: DocumentReader.formatTimestamp(Date()))
            try journal.begin(batch, bodies: Array(zip(cts.parties.computing, bodies)))
        }
        var parties: [(MemberID, [UInt8])] = []
        var earlier: [MemberID] = []
        for member in cts.parties.computing {
            if journal.receipt(for: member) != nil {
                earlier.append(member)
            } else if let body = try journal.body(for: member) {
                parties.append((member, body))
            } else {
                throw ClientError(
                    .invalidInput,
                    "the upload journal \(journal.directory) has neither a receipt nor shares for \(member): remove it "
                        + "to start over")
            }
        }
        let answers = await self.send(parties, task: task, table: table, batch: batch.batch, rows: batch.rows, progress)
        for answer in answers {
            if let value = answer.value, answer.succeeded { try journal.record(value, for: answer.member) }
        }
        // Refused outright by every party (an HTTP refusal, not a lost answer): no node holds the batch, so it need
        // not be finished and the journal lets it go.
        if earlier.isEmpty, answers.allSatisfy({ !$0.succeeded && ($0.status ?? 0) >= 400 && ($0.status ?? 0) < 500 }) {
            try? FileManager.default.removeItem(atPath: journal.directory)
            return Upload(batch: batch.batch, rows: batch.rows, answers: answers)
        }
        return Upload(
            batch: batch.batch, rows: batch.rows, answers: answers, takenEarlier: earlier, journal: journal.directory)
    }

    /// Secret-shares one table's rows here and sends each computing party its envelope, to all at once (one attempt,
    /// no journal).
    package func upload(
        _ data: TableData, task: String, table: String, cts: ComputationTaskSpecification,
        progress: (any UploadProgress)? = nil
    ) async throws -> Upload {
        guard let model = cts.table(named: table) else {
            throw ClientError(.invalidInput, "task \(cts.id) has no table '\(table)'")
        }
        let bodies = try self.deal(data, task: task, table: model, cts: cts)
        let batch = UUID().uuidString.lowercased()
        let answers = await self.send(
            Array(zip(cts.parties.computing, bodies)), task: task, table: table, batch: batch, rows: data.rows, progress
        )
        return Upload(batch: batch, rows: data.rows, answers: answers)
    }

    private func deal(
        _ data: TableData, task: String, table: ComputationTaskSpecification.Table, cts: ComputationTaskSpecification
    ) throws -> [[UInt8]] {
        do { return try TaskShares(task: task, cts: cts).deal(data, table: table) } catch {
            throw ClientError(.invalidInput, "cannot share the rows for task \(cts.id): \(error)", underlying: error)
        }
    }

    /// Sends each party its body at once. Each receipt must be signed by the node that took the upload and name what
    /// was sent.
    private func send(
        _ parties: [(MemberID, [UInt8])], task: String, table: String, batch: String, rows: Int,
        _ progress: (any UploadProgress)?
    ) async -> [NodeAnswer<UploadResponse>] {
        progress?.start(total: parties.reduce(0) { $0 + $1.1.count }, parts: parties.count)
        defer { progress?.finish() }
        return await withTaskGroup(of: (Int, NodeAnswer<UploadResponse>).self) { group in
            for (index, (member, body)) in parties.enumerated() {
                group.addTask {
                    let answer = await self.ask(
                        .post, "/v1/tasks/\(task)/inputs/\(table)?batch=\(batch)", body: body, of: member,
                        as: UploadResponse.self, timeout: .seconds(300)
                    ) { progress?.update(part: index, sent: $0) }
                    return (
                        index, self.checkReceipt(answer, task: task, table: table, rows: rows, batch: batch, body: body)
                    )
                }
            }
            return await group.reduce(into: [(Int, NodeAnswer<UploadResponse>)]()) { $0.append($1) }.sorted {
                $0.0 < $1.0
            }.map(\.1)
        }
    }

    private func checkReceipt(
        _ answer: NodeAnswer<UploadResponse>, task: String, table: String, rows: Int, batch: String, body: [UInt8]
    ) -> NodeAnswer<UploadResponse> {
        guard let response = answer.value else { return answer }
        var checked = answer
        let receipt = response.receipt
        let digest = Hex.encode(SHA256.hash(data: body))
        if receipt.task != task || receipt.table != table || receipt.rows != rows || receipt.batch != batch
            || receipt.sha256 != digest
            || receipt.node != answer.member.rawValue
        {
            checked.error = ClientError(.invalidResponse, "\(answer.member)'s receipt does not name this upload")
        } else if let certificate = answer.nodeCertificate, !response.isSigned(by: certificate) {
            checked.error = ClientError(.invalidResponse, "\(answer.member)'s receipt is not signed by its node")
        }
        return checked
    }

    // MARK: Outputs

    /// Every computing party's shares of the result, checked and put together.
    package func result(task: String) async throws -> QueryResult {
        let cts = try await self.specification(task: task)
        let plan: QueryPlan
        do { plan = try QueryChecker.check(cts) } catch {
            throw ClientError(.invalidInput, "the task's query is rejected by this build: \(error)", underlying: error)
        }
        var bodies: [[UInt8]] = []
        for member in cts.parties.computing {
            let answer = await self.ask(
                .get, "/v1/tasks/\(task)/output", of: member, as: RawBody.self, timeout: .seconds(120))
            guard let body = answer.value else {
                // The node's own words when it answered (status and body), otherwise why it could not be asked.
                let why = answer.status.map { "\($0) \(answer.body)" } ?? answer.error.map { "\($0)" } ?? "no answer"
                throw ClientError(
                    answer.error?.code ?? .unavailable, "\(member) refused the output: \(why)", status: answer.status)
            }
            bodies.append(body.bytes)
        }
        do { return try TaskShares(task: task, cts: cts).reconstruct(bodies, plan: plan) } catch {
            throw ClientError(
                .invalidResponse, "the result shares cannot be reconstructed: \(error)", underlying: error)
        }
    }
}
