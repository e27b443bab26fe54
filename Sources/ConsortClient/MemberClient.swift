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
