import ConsortAudit
import ConsortClient
import ConsortPKI
import ConsortQuery
import ConsortSpec
import ConsortTransport
import Foundation
import Logging

/// The distributed control plane (docs/architecture.md §2): a member drafts a CTS on its own node (a proposal); its
/// node sends it to the nodes of every member the CTS names; each signs or rejects on its own node, whose answer goes
/// back to the proposer's node and from there to every other; a new version voids the signatures of the one before;
/// once every required signature is in, the proposer's node submits the CTS to the computing parties, which enforce it
/// as any other submission. The proposer's node holds the proposal; the others keep the newest copy it sent.
///
/// Nothing here trusts a claimed name: members are the verified certificates' (users of this node's member for the
/// people, the named members' node certificates between nodes), and every signature is verified where it arrives.
/// Every step is audited on the nodes involved. Network calls are made outside the lock, so two nodes sending to each
/// other at once never wait on each other.
package final class ProposalService: Sendable {
    let tasks: TaskService
    let lock = AsyncLock()
    let folder: String
    let logger: Logger

    init(tasks: TaskService, logger: Logger) {
        self.tasks = tasks
        self.folder = "\(tasks.dataDirectory)/proposals"
        self.logger = logger
    }

    var node: NodeConfiguration.Loaded { self.tasks.node }
    var log: AuditLog { self.tasks.log }
    var client: NodeClient {
        NodeClient(authentication: TLSPeerAuthentication(identity: self.node.identity, verifier: self.node.verifier))
    }
    var verifier: SpecificationVerifier {
        SpecificationVerifier(certificates: self.node.verifier, members: self.tasks.memberRoles)
    }

    // MARK: The member's people (their own node)

    /// A new proposal (version 1) of `bytes`, a CTS that names this node's member.
    package func create(_ bytes: [UInt8], by caller: VerifiedIdentity) async throws -> ProposalView {
        try await self.tasks.authorizeOrRefuse(.proposalCreate, caller)
        return try await self.create(bytes, by: TaskService.actor(caller))
    }

    /// A new proposal drafted by `actor`, already entitled to draft for this member (a user of the web UI).
    func create(_ bytes: [UInt8], by actor: AuditActor) async throws -> ProposalView {
        let cts = try await self.checkDraft(bytes, by: actor)
        var id = [UInt8](repeating: 0, count: 16)
        var generator = SystemRandomNumberGenerator()
        for index in id.indices { id[index] = generator.next() }
        let record = ProposalRecord(
            sync: ProposalSync(
                proposal: Hex.encode(id), proposer: self.node.member.rawValue, version: 1, revision: 1,
                cts: String(decoding: bytes, as: UTF8.self), signatures: [], rejections: [], task: nil),
            received: AuditTime.now())
        try await self.lock.withLock { try self.save(record) }
        try await self.audit(.proposalCreated, actor, record, ["id": .string(cts.id)])
        await self.deliver(record.sync.proposal)
        return try await self.view(record.sync.proposal)
    }

    /// A new version of this node's proposal `id`: the signatures collected so far are void.
    package func revise(_ id: String, _ bytes: [UInt8], by caller: VerifiedIdentity) async throws -> ProposalView {
        try await self.tasks.authorizeOrRefuse(.proposalCreate, caller)
        let cts = try await self.checkDraft(bytes, by: TaskService.actor(caller))
        let record = try await self.change(id, by: caller) { record in
            guard record.sync.proposer == self.node.member.rawValue else {
                throw NodeError(
                    .forbidden, "proposal \(id) is \(record.sync.proposer)'s: only its node makes new versions")
            }
            guard record.sync.task == nil else {
                throw NodeError(.conflict, "proposal \(id) was submitted as task \(record.sync.task!): it is final")
            }
            guard record.sync.cts != String(decoding: bytes, as: UTF8.self) else {
                throw NodeError(.conflict, "this is version \(record.sync.version) unchanged")
            }
            record.previous = ProposalRecord.Previous(version: record.sync.version, cts: record.sync.cts)
            record.sync.version += 1
            record.sync.cts = String(decoding: bytes, as: UTF8.self)
            record.sync.signatures = []
            record.submission = nil
        }
        try await self.audit(.proposalRevised, caller, record, ["id": .string(cts.id)])
        await self.deliver(id)
        return try await self.view(id)
    }

    /// The caller's own signature (`bytes`: a JWS over this version's CTS with that one signature) for its member.
    package func sign(_ id: String, _ bytes: [UInt8], by caller: VerifiedIdentity) async throws -> ProposalView {
        try await self.tasks.authorizeOrRefuse(.proposalSign, caller)
        let jws: MultiSignatureJWS
        do { jws = try MultiSignatureJWS(parsing: bytes) } catch {
            try await self.refuse(caller, NodeError(.invalidRequest, "the signature is not a JWS: \(error)"))
        }
        let result = await self.verifier.verifyStatement(jws)
        guard result.isValid, let signer = result.signer else {
            try await self.refuse(
                caller,
                NodeError(
                    .invalidRequest,
                    "the signature is not acceptable: \(result.problem.map { "\($0)" } ?? "unknown problem")"))
        }
        guard signer.fingerprint == caller.fingerprint else {
            try await self.refuse(
                caller, NodeError(.forbidden, "a user signs with its own certificate, not \(signer.subject)'s"))
        }
        return try await self.add(jws, to: id, by: TaskService.actor(caller))
    }

    /// The member's signature `jws` (verified) of proposal `id`'s current version, made by or for `actor`.
    private func add(_ jws: MultiSignatureJWS, to id: String, by actor: AuditActor) async throws -> ProposalView {
        let signature = ProposalSync.Signature(
            protected: jws.signatures[0].protectedEncoded, signature: jws.signatures[0].signatureEncoded)
        let record = try await self.change(id, by: actor) { record in
            try self.requireOpen(record, answering: jws.taskID)
            let cts = try Self.specification(record.sync.cts)
            guard cts.parties.permittedSigners.contains(self.node.member) else {
                throw NodeError(.forbidden, "\(self.node.member) is not named in proposal \(id)")
            }
            guard !(try self.signedMembers(record)).contains(self.node.member) else {
                throw NodeError(
                    .conflict, "\(self.node.member) has already signed version \(record.sync.version) of \(id)")
            }
            record.sync.signatures.append(signature)
            if record.sync.proposer != self.node.member.rawValue {
                record.outbox.append(ProposalReply(version: jws.taskID, signature: signature))
            }
        }
        try await self.audit(.proposalSigned, actor, record, ["member": .string(self.node.member.rawValue)])
        await self.deliver(id)
        return try await self.view(id)
    }

    /// Web UI: signs version `hash` — the one the person reviewed, still current — with the member's signer identity
    /// the node holds, for the signed-in `actor`.
    package func sign(_ id: String, reviewed hash: String, with signer: SigningIdentity, by actor: AuditActor)
        async throws -> ProposalView
    {
        let record = try await self.record(id)
        guard record.hash == hash else {
            try await self.refuse(
                actor,
                NodeError(
                    .conflict,
                    "proposal \(id) changed while you reviewed it: it is now version \(record.sync.version); review it again"
                ))
        }
        var jws = MultiSignatureJWS(payload: Array(record.sync.cts.utf8))
        try jws.sign(as: signer, member: self.node.member)
        return try await self.add(jws, to: id, by: actor)
    }

    /// The caller's rejection of version `request.version` for its member, with the reason.
    package func reject(_ id: String, _ bytes: [UInt8], by caller: VerifiedIdentity) async throws -> ProposalView {
        try await self.tasks.authorizeOrRefuse(.proposalSign, caller)
        let request: ProposalRejectRequest
        do { request = try APIJSON.decode(ProposalRejectRequest.self, from: bytes) } catch {
            try await self.refuse(
                caller, NodeError(.invalidRequest, "a rejection is {\"version\": HASH, \"reason\": TEXT}: \(error)"))
        }
        return try await self.reject(id, request, by: TaskService.actor(caller))
    }

    /// This member's rejection of the version `request.version` of proposal `id`, by `actor` (an API user or a
    /// person signed in to the web UI).
    package func reject(_ id: String, _ request: ProposalRejectRequest, by actor: AuditActor) async throws
        -> ProposalView
    {
        guard (1...1000).contains(request.reason.count) else {
            try await self.refuse(
                actor, NodeError(.invalidRequest, "a rejection needs a reason of 1 to 1000 characters"))
        }
        let record = try await self.change(id, by: actor) { record in
            try self.requireOpen(record, answering: request.version)
            guard try Self.specification(record.sync.cts).parties.allMembers.contains(self.node.member) else {
                throw NodeError(.forbidden, "\(self.node.member) is not named in proposal \(id)")
            }
            record.sync.rejections.append(
                .init(
                    member: self.node.member.rawValue, version: record.sync.version, reason: request.reason,
                    at: AuditTime.now()))
            if record.sync.proposer != self.node.member.rawValue {
                record.outbox.append(ProposalReply(version: request.version, rejection: request.reason))
            }
        }
        try await self.audit(.proposalRejected, actor, record, ["reason": .string(request.reason)])
        await self.deliver(id)
        return try await self.view(id)
    }

    package func list(for caller: VerifiedIdentity) async throws -> ProposalListResponse {
        try await self.tasks.authorizeOrRefuse(.proposalRead, caller)
        return try await self.list()
    }

    /// Every proposal here, newest first (the web UI checks its own sessions).
    func list() async throws -> ProposalListResponse {
        let records = try await self.lock.withLock { try self.all() }.sorted { $0.received > $1.received }
        var views: [ProposalView] = []
        for record in records { views.append(try await self.view(of: record)) }
        return ProposalListResponse(node: self.node.member.rawValue, proposals: views)
    }

    package func read(_ id: String, for caller: VerifiedIdentity) async throws -> ProposalView {
        try await self.tasks.authorizeOrRefuse(.proposalRead, caller)
        return try await self.view(id)
    }

    /// The current version's CTS with every signature collected (JWS), or the bare CTS while none is.
    package func document(_ id: String, for caller: VerifiedIdentity) async throws -> [UInt8] {
        try await self.tasks.authorizeOrRefuse(.proposalRead, caller)
        let record = try await self.record(id)
        return record.sync.signatures.isEmpty ? Array(record.sync.cts.utf8) : try record.jws.serialized()
    }

    // MARK: Between member nodes

    /// The proposer's node sends its proposal: kept if it names this member and is newer than the copy here.
    package func receive(_ id: String, _ bytes: [UInt8], from caller: VerifiedIdentity) async throws -> ProposalView {
        try await self.tasks.authorizeOrRefuse(.proposalSync, caller)
        let sync: ProposalSync
        do { sync = try APIJSON.decode(ProposalSync.self, from: bytes) } catch {
            try await self.refuse(caller, NodeError(.invalidRequest, "not a proposal: \(error)"))
        }
        do {
            guard sync.proposal == id, Hex.decode(id)?.count == 16 else {
                throw NodeError(.invalidRequest, "the proposal's id must be the path's, 32 hex digits")
            }
            guard caller.memberID?.rawValue == sync.proposer else {
                throw NodeError(.forbidden, "only the node of \(sync.proposer) sends its proposals")
            }
            let cts = try Self.specification(sync.cts)
            guard cts.parties.allMembers.contains(self.node.member) else {
                throw NodeError(.forbidden, "proposal \(id) does not name \(self.node.member)")
            }
            let report = await self.verifier.verify(try ProposalRecord(sync: sync, received: "").jws)
            if let bad = report.signatures.first(where: { !$0.isValid }) {
                throw NodeError(
                    .invalidRequest,
                    "signature \(bad.index + 1) of proposal \(id) is not acceptable: \(bad.problem.map { "\($0)" } ?? "?")"
                )
            }
        } catch let error as NodeError {
            try await self.refuse(caller, error)
        }
        let kept = try await self.lock.withLock { () -> ProposalRecord? in
            let existing = try self.load(id)
            if let existing {
                guard existing.sync.proposer == sync.proposer else {
                    throw NodeError(
                        .conflict, "proposal \(id) here is \(existing.sync.proposer)'s, not \(sync.proposer)'s")
                }
                if existing.sync.revision >= sync.revision { return nil }
            }
            var record = existing ?? ProposalRecord(sync: sync, received: AuditTime.now())
            if let existing, existing.sync.version < sync.version {
                record.previous = ProposalRecord.Previous(version: existing.sync.version, cts: existing.sync.cts)
            }
            record.sync = sync
            // Answers to an earlier version are void.
            let hash = record.hash
            record.outbox.removeAll { $0.version != hash }
            try self.save(record)
            return record
        }
        if let kept {
            try await self.audit(
                .proposalReceived, caller, kept,
                ["from": .string(sync.proposer), "revision": .number(JSONNumber(Int64(sync.revision)))])
        }
        return try await self.view(id)
    }

    /// A named member's node answers the proposal held here: its member's signature or rejection of this version.
    package func reply(_ id: String, _ bytes: [UInt8], from caller: VerifiedIdentity) async throws -> ProposalView {
        try await self.tasks.authorizeOrRefuse(.proposalReply, caller)
        let reply: ProposalReply
        do { reply = try APIJSON.decode(ProposalReply.self, from: bytes) } catch {
            try await self.refuse(caller, NodeError(.invalidRequest, "not a reply to a proposal: \(error)"))
        }
        guard let member = caller.memberID, (reply.signature == nil) != (reply.rejection == nil) else {
            try await self.refuse(caller, NodeError(.invalidRequest, "a reply carries a signature or a rejection"))
        }
        var signature: MultiSignatureJWS.Signature? = nil
        if let entry = reply.signature {
            do {
                signature = try MultiSignatureJWS.Signature(
                    protectedEncoded: entry.protected, signatureEncoded: entry.signature)
            } catch { try await self.refuse(caller, NodeError(.invalidRequest, "\(error)")) }
        }
        let current = try await self.record(id)
        if let signature {
            var jws = MultiSignatureJWS(payload: Array(current.sync.cts.utf8))
            jws.signatures = [signature]
            let result = await self.verifier.verifyStatement(jws)
            guard result.isValid, result.member == member, jws.taskID == reply.version else {
                try await self.refuse(
                    caller,
                    NodeError(
                        .invalidRequest,
                        "the signature is not \(member)'s over version \(current.sync.version) of \(id): \(result.problem.map { "\($0)" } ?? "another signer or version")"
                    ))
            }
        }
        let record = try await self.change(id, by: caller) { record in
            guard record.sync.proposer == self.node.member.rawValue else {
                throw NodeError(.notFound, "no proposal \(id) of \(self.node.member) here")
            }
            try self.requireOpen(record, answering: reply.version)
            let cts = try Self.specification(record.sync.cts)
            guard cts.parties.allMembers.contains(member) else {
                throw NodeError(.forbidden, "\(member) is not named in proposal \(id)")
            }
            if let entry = reply.signature {
                guard !(try self.signedMembers(record)).contains(member) else { return }
                record.sync.signatures.append(entry)
            } else if let reason = reply.rejection, (1...1000).contains(reason.count) {
                record.sync.rejections.append(
                    .init(member: member.rawValue, version: record.sync.version, reason: reason, at: AuditTime.now()))
            } else {
                throw NodeError(.invalidRequest, "a rejection needs a reason of 1 to 1000 characters")
            }
        }
        try await self.audit(
            reply.signature != nil ? .proposalSigned : .proposalRejected, caller, record,
            ["member": .string(member.rawValue)].merging(reply.rejection.map { ["reason": .string($0)] } ?? [:]) {
                $1
            })
        await self.deliver(id)
        return try await self.view(id)
    }

    // MARK: Delivery

    /// Sends what this node owes for proposal `id`: the proposal to every named member's node that lacks its newest
    /// revision (proposer's node), this member's answers to the proposer's node (others), and, once every required
    /// signature is in, the signed CTS to the computing parties. What fails is tried again by `deliverPending`.
    func deliver(_ id: String) async {
        guard let record = try? await self.record(id) else { return }
        let client = self.client
        if record.sync.proposer == self.node.member.rawValue {
            if record.sync.task == nil, record.state == .open,
                let jws = try? record.jws, await self.verifier.verify(jws).isComplete
            {
                await self.submit(id, jws, client: client)
            }
            guard let record = try? await self.record(id), let cts = try? Self.specification(record.sync.cts) else {
                return
            }
            let body = (try? APIJSON.encode(record.sync)) ?? []
            for member in self.recipients(of: cts)
            where (record.delivered[member.rawValue] ?? 0) < record.sync.revision {
                guard let endpoint = self.node.directory.member(member)?.endpoint,
                    let response = try? await client.request(
                        .post, "/v1/proposals/\(id)/sync", body: body, to: endpoint, node: member,
                        timeout: .seconds(10)),
                    response.status == 200
                else { continue }
                _ = try? await self.lock.withLock {
                    guard var current = try self.load(id) else { return }
                    current.delivered[member.rawValue] = max(
                        current.delivered[member.rawValue] ?? 0, record.sync.revision)
                    try self.save(current)
                }
            }
        } else {
            guard let proposer = try? MemberID(record.sync.proposer),
                let endpoint = self.node.directory.member(proposer)?.endpoint
            else { return }
            for reply in record.outbox {
                guard let body = try? APIJSON.encode(reply),
                    let response = try? await client.request(
                        .post, "/v1/proposals/\(id)/replies", body: body, to: endpoint, node: proposer,
                        timeout: .seconds(10))
                else { continue }
                // Delivered, or refused for good (a voided version): either way it leaves the outbox.
                if response.status != 200 && response.status < 500 {
                    self.logger.warning(
                        "the proposer's node refused a reply to \(id): \(response.status) \(response.body)")
                }
                guard response.status == 200 || (400..<500).contains(response.status) else { continue }
                _ = try? await self.lock.withLock {
                    guard var current = try self.load(id) else { return }
                    current.outbox.removeAll { $0 == reply }
                    try self.save(current)
                }
            }
        }
    }

    /// One pass over every proposal with something undelivered (the node's proposal loop).
    func deliverPending() async throws {
        let records = try await self.lock.withLock { try self.all() }
        let me = self.node.member.rawValue
        for record in records
        where !record.outbox.isEmpty
            || (record.sync.proposer == me && (self.needsDelivery(record) || record.state == .open))
        {
            await self.deliver(record.sync.proposal)
        }
    }

    /// Submits the completely signed CTS to every computing party (as this node); the proposal becomes the task
    /// once every one has accepted it.
    private func submit(_ id: String, _ jws: MultiSignatureJWS, client: NodeClient) async {
        guard let cts = try? Self.specification(String(decoding: jws.payload, as: UTF8.self)) else { return }
        var problems: [String] = []
        for member in cts.parties.computing {
            guard let endpoint = self.node.directory.member(member)?.endpoint else {
                problems.append("\(member): no endpoint in the directory")
                continue
            }
            do {
                let response = try await client.request(
                    .post, "/v1/tasks", body: jws.serialized(), to: endpoint, node: member, timeout: .seconds(30))
                if response.status != 200 && response.status != 201 {
                    problems.append("\(member): \(response.status) \(response.body)")
                }
            } catch { problems.append("\(member): \(error)") }
        }
        let record = try? await self.lock.withLock { () -> ProposalRecord? in
            guard var record = try self.load(id), record.sync.task == nil, record.hash == jws.taskID else { return nil }
            if problems.isEmpty {
                record.sync.task = jws.taskID
                record.sync.revision += 1
                record.submission = nil
            } else {
                record.submission = problems.joined(separator: "; ")
            }
            try self.save(record)
            return record
        }
        if let record, problems.isEmpty {
            _ = try? await self.log.append(
                try AuditDraft(
                    actor: self.tasks.system, action: .proposalSubmitted, taskID: jws.taskID,
                    details: ["proposal": .string(id), "version": .number(JSONNumber(Int64(record.sync.version)))]))
        } else if !problems.isEmpty {
            self.logger.warning("proposal \(id) not yet accepted by every computing party: \(problems)")
        }
    }

    // MARK: Helpers

    /// Reads a draft strictly and checks it: a valid CTS naming this member, every other named member with a node.
    private func checkDraft(_ bytes: [UInt8], by actor: AuditActor) async throws -> ComputationTaskSpecification {
        do {
            let cts = try Self.specification(String(decoding: bytes, as: UTF8.self))
            let errors = CTSValidator.validate(cts, members: self.tasks.memberRoles, engines: EngineRegistry.shared)
                .filter { $0.severity == .error }
            guard errors.isEmpty else {
                throw NodeError(
                    .invalidRequest, "the CTS is not valid: \(errors.map { "\($0)" }.joined(separator: "; "))")
            }
            guard cts.parties.allMembers.contains(self.node.member) else {
                throw NodeError(.invalidRequest, "a proposal names its proposer: \(self.node.member) is not in the CTS")
            }
            // Every member that must sign needs a node to sign on; others named (auditors) get it if they have one.
            let without = cts.parties.requiredSigners.filter { self.node.directory.member($0)?.endpoint == nil }
            guard without.isEmpty else {
                throw NodeError(
                    .invalidRequest,
                    "\(without.map(\.rawValue).joined(separator: ", ")) must sign but ha\(without.count == 1 ? "s" : "ve") no node in the directory to review the proposal on"
                )
            }
            return cts
        } catch let error as NodeError {
            try await self.refuse(actor, error)
        }
    }

    static func specification(_ text: String) throws -> ComputationTaskSpecification {
        let value: JSONValue
        do { value = try StrictJSONReader().parse(Array(text.utf8)) } catch {
            throw NodeError(.invalidRequest, "the CTS is not acceptable JSON: \(error)")
        }
        let (cts, diagnostics) = CTSReader.read(value)
        guard let cts else {
            throw NodeError(
                .invalidRequest, "not a CTS: \(diagnostics.map { "\($0)" }.joined(separator: "; "))")
        }
        return cts
    }

    /// Answers are for the current version of a proposal still open.
    private func requireOpen(_ record: ProposalRecord, answering version: String) throws {
        guard record.sync.task == nil else {
            throw NodeError(.conflict, "proposal \(record.sync.proposal) is already task \(record.sync.task!)")
        }
        guard version == record.hash else {
            throw NodeError(
                .conflict,
                "that answers another version: proposal \(record.sync.proposal) is at version \(record.sync.version) (\(record.hash)), and a new version voids the answers to the one before"
            )
        }
        if let rejection = record.sync.rejections.first(where: { $0.version == record.sync.version }) {
            throw NodeError(
                .conflict,
                "version \(record.sync.version) was rejected by \(rejection.member) (\(rejection.reason)): a new version is needed"
            )
        }
    }

    private func signedMembers(_ record: ProposalRecord) throws -> Set<MemberID> {
        Set(try record.jws.claimedMembers.map { try MemberID($0) })
    }

    /// Loads, changes and saves proposal `id` under the lock; a refusal is audited.
    private func change(
        _ id: String, by caller: VerifiedIdentity, _ body: @Sendable (inout ProposalRecord) throws -> Void
    ) async throws -> ProposalRecord {
        try await self.change(id, by: TaskService.actor(caller), body)
    }

    private func change(
        _ id: String, by actor: AuditActor, _ body: @Sendable (inout ProposalRecord) throws -> Void
    ) async throws -> ProposalRecord {
        do {
            return try await self.lock.withLock {
                guard var record = try self.load(id) else { throw NodeError(.notFound, "no proposal \(id) here") }
                try body(&record)
                record.sync.revision += record.sync.proposer == self.node.member.rawValue ? 1 : 0
                try self.save(record)
                return record
            }
        } catch let error as NodeError {
            try await self.refuse(actor, error)
        }
    }

    func record(_ id: String) async throws -> ProposalRecord {
        guard let record = try await self.lock.withLock({ try self.load(id) }) else {
            throw NodeError(.notFound, "no proposal \(id) here")
        }
        return record
    }

    func view(_ id: String) async throws -> ProposalView { try await self.view(of: try await self.record(id)) }

    private func view(of record: ProposalRecord) async throws -> ProposalView {
        let report = await self.verifier.verify(try record.jws)
        let cts = try? Self.specification(record.sync.cts)
        let signed = report.signatures.filter(\.isValid).compactMap(\.member)
        return ProposalView(
            proposal: record.sync.proposal, proposer: record.sync.proposer, version: record.sync.version,
            hash: record.hash, id: cts?.id ?? "", title: cts?.title ?? "", state: record.state,
            signed: signed.map(\.rawValue),
            missing: (cts?.parties.requiredSigners ?? []).filter { !signed.contains($0) }.map(\.rawValue),
            rejections: record.sync.rejections, task: record.sync.task, submission: record.submission,
            node: self.node.member.rawValue)
    }

    private func audit(
        _ action: AuditAction, _ caller: VerifiedIdentity, _ record: ProposalRecord, _ details: [String: JSONValue]
    ) async throws {
        try await self.audit(action, TaskService.actor(caller), record, details)
    }

    private func audit(
        _ action: AuditAction, _ actor: AuditActor, _ record: ProposalRecord, _ details: [String: JSONValue]
    ) async throws {
        var object = JSONObject([
            ("proposal", .string(record.sync.proposal)), ("version", .number(JSONNumber(Int64(record.sync.version)))),
            ("hash", .string(record.hash)),
        ])
        for (key, value) in details.sorted(by: { $0.key < $1.key }) { object[key] = value }
        _ = try await self.log.append(try AuditDraft(actor: actor, action: action, details: object))
    }

    private func refuse(_ caller: VerifiedIdentity, _ error: NodeError) async throws -> Never {
        try await self.tasks.refuse(TaskService.actor(caller), task: nil, error)
    }

    private func refuse(_ actor: AuditActor, _ error: NodeError) async throws -> Never {
        try await self.tasks.refuse(actor, task: nil, error)
    }

    // MARK: Files

    private func path(_ id: String) throws -> String {
        guard Hex.decode(id)?.count == 16, id == id.lowercased() else {
            throw NodeError(.notFound, "no proposal \(id) here (a proposal id is 32 lowercase hex digits)")
        }
        return "\(self.folder)/\(id).json"
    }

    private func load(_ id: String) throws -> ProposalRecord? {
        let path = try self.path(id)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do { return try JSONDecoder().decode(ProposalRecord.self, from: data) } catch {
            throw NodeError(.internalFailure, "the proposal file \(path) is unreadable: \(error)")
        }
    }

    private func save(_ record: ProposalRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try DurableFile.write(Array(try encoder.encode(record)), to: try self.path(record.sync.proposal))
    }

    private func all() throws -> [ProposalRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: self.folder)) ?? []
        return try names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.compactMap {
            try self.load(String($0.dropLast(5)))
        }
    }
}

extension ProposalService {
    /// The members whose nodes get the proposer's proposal: every other member it names that has a node.
    func recipients(of cts: ComputationTaskSpecification) -> [MemberID] {
        cts.parties.allMembers.sorted().filter {
            $0 != self.node.member && self.node.directory.member($0)?.endpoint != nil
        }
    }

    /// Proposer's node: some recipient's node lacks the newest revision.
    func needsDelivery(_ record: ProposalRecord) -> Bool {
        guard let cts = try? Self.specification(record.sync.cts) else { return false }
        return self.recipients(of: cts).contains { (record.delivered[$0.rawValue] ?? 0) < record.sync.revision }
    }
}
