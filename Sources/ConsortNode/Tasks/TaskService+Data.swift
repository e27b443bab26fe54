import ConsortAudit
import ConsortClient
import ConsortMPC
import ConsortPKI
import ConsortQuery
import ConsortSpec
import ConsortTransport
import Crypto
import Foundation
import Logging
import NIOCore

extension TaskService {
    /// Where this node keeps one task's data.
    func directory(_ task: String) -> String { "\(self.dataDirectory)/tasks/\(task)" }

    /// The signed CTS of a task, for members of that task.
    package func document(_ task: String, for caller: VerifiedIdentity) async throws -> [UInt8] {
        try await self.status(task, for: caller).0.document
    }

    // MARK: Inputs

    /// What an upload may be, decided from the request line and the caller alone, before its body is read.
    package struct UploadAdmission: Sendable {
        let task: String
        let cts: ComputationTaskSpecification
        let table: ComputationTaskSpecification.Table
        let batch: String
        /// Whether the batch is the party's last of the table.
        let final: Bool
        let member: MemberID
        let party: Int
        let actor: AuditActor
        /// The largest envelope the table's maxRows allows for this party: a longer body is refused unread.
        package let maximumBytes: Int

        /// The refusal of a body longer than `maximumBytes`.
        package var tooLarge: NodeError {
            NodeError(
                .tooLarge,
                "the body is larger than the largest envelope table '\(self.table.name)' allows (\(self.maximumBytes) "
                    + "bytes at maxRows \(self.table.maxRows))")
        }
    }

    /// Admits an upload before its body is read: the caller may upload this table of this task, before the input
    /// deadline, while the task takes inputs, with a batch id and whether it is the final batch (`final`: "true",
    /// the default, or "false"). A refusal is audited (`input.rejected`, or a denial when the caller may not see the
    /// task), so a stranger's gigabyte is never read.
    package func admitUpload(
        task: String, table: String, batch: String, final: String? = nil, by caller: VerifiedIdentity,
        now: Date = Date()
    ) async throws -> UploadAdmission {
        let actor = Self.actor(caller)
        let (record, cts) = try await self.status(task, for: caller)
        do {
            try self.authorize(.inputUpload, caller, task: cts, table: table)
            guard let member = caller.memberID else { throw NodeError(.forbidden, "the caller names no member") }
            guard now <= cts.deadlines.inputs else {
                throw NodeError(
                    .deadlinePassed,
                    "the input deadline \(DocumentReader.formatTimestamp(cts.deadlines.inputs)) has passed")
            }
            guard [.accepted, .collectingInputs].contains(record.state) else {
                throw NodeError(.conflict, "task \(cts.id) is \(record.state.rawValue): it takes no more inputs")
            }
            guard let model = cts.table(named: table) else {
                throw NodeError(.notFound, "task \(cts.id) has no table '\(table)'")
            }
            guard Self.isBatchID(batch) else {
                throw NodeError(
                    .invalidRequest,
                    "give a batch id of 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' (?batch=)")
            }
            guard let final = [nil: true, "true": true, "false": false][final] else {
                throw NodeError(.invalidRequest, "final must be true or false (?final=), not '\(final ?? "")'")
            }
            return UploadAdmission(
                task: task, cts: cts, table: model, batch: batch, final: final, member: member,
                party: try self.party(in: cts), actor: actor,
                maximumBytes: try TaskShares(task: task, cts: cts).maximumUploadBytes(of: model))
        } catch let error as NodeError {
            try await self.refuseUpload(error, task: task, table: table, actor: actor)
        }
    }

    /// A batch id names the batch's share file, so it is kept to a safe alphabet.
    static func isBatchID(_ batch: String) -> Bool {
        (1...64).contains(batch.utf8.count) && !batch.hasPrefix(".")
            && batch.utf8.allSatisfy {
                (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || "._-".utf8.contains($0)
            }
    }

    /// Refuses an upload: audited as `input.rejected` with the reason.
    package func refuseUpload(_ error: NodeError, task: String, table: String, actor: AuditActor) async throws -> Never
    {
        _ = try await self.log.append(
            try AuditDraft(
                actor: actor, action: .inputRejected, taskID: task,
                details: ["table": .string(table), "reason": .string(error.message)]))
        throw error
    }

    /// Refuses an admitted upload (its body too large): audited as `input.rejected`.
    package func refuseUpload(_ error: NodeError, _ admission: UploadAdmission) async throws -> Never {
        try await self.refuseUpload(error, task: admission.task, table: admission.table.name, actor: admission.actor)
    }

    /// Admits and takes an upload whose body is already read (tests, tools).
    package func upload(
        _ bytes: [UInt8], task: String, table: String, batch: String, final: Bool = true, by caller: VerifiedIdentity,
        now: Date = Date()
    ) async throws -> UploadResponse {
        let admission = try await self.admitUpload(
            task: task, table: table, batch: batch, final: final ? "true" : "false", by: caller, now: now)
        return try await self.upload(
            body: AsyncStream {
                $0.yield(ByteBuffer(bytes: bytes)); $0.finish()
            }, admission, now: now)
    }

    /// Takes one batch of an input party's shares of one table (this node's share of every column, in an envelope
    /// checked as it streams to disk) and returns a receipt signed by this node.
    package func upload<Body: AsyncSequence>(body: Body, _ admission: UploadAdmission, now: Date = Date()) async throws
        -> UploadResponse where Body.Element == ByteBuffer
    {
        let (task, cts, model, member, actor) = (
            admission.task, admission.cts, admission.table, admission.member, admission.actor
        )
        let table = model.name
        do {
            let received: IncomingUpload.Received
            do {
                received = try await IncomingUpload.receive(
                    body, directory: self.inputsDirectory(task, table: table),
                    check: try TaskShares(task: task, cts: cts).uploadCheck(of: model, party: admission.party),
                    limit: admission.maximumBytes)
            } catch is IncomingUpload.TooLarge {
                throw admission.tooLarge
            } catch let error as MPCError {
                throw NodeError(.invalidRequest, "the shares are refused: \(error.message)")
            } catch let error as QueryError {
                throw NodeError(.invalidRequest, "\(error)")
            } catch let error as NodeError {
                throw error
            } catch {
                throw NodeError(.invalidRequest, "the body was cut off: \(error)", underlying: error)
            }
            let upload = TaskUpload(
                table: table, member: member.rawValue, rows: received.rows, batch: admission.batch,
                final: admission.final, sha256: received.sha256, receivedAt: DocumentReader.formatTimestamp(now))
            // The same upload again (a retry after a lost answer or a crash) gets the same receipt.
            if let existing = try await self.tasks.uploads(task: task).first(where: upload.isSameSlot) {
                received.discard()
                return try await self.answerRepeated(upload, existing: existing, task: task, cts: cts, actor: actor)
            }
            // Durable shares first, then the record: a crash in between leaves an unreferenced file, never a record
            // without its shares. The file is named by batch and digest, so a concurrent different upload cannot
            // replace it.
            CrashPoint.uploadBeforeShares.reached()
            let file = self.shareFile(task, upload)
            do { try received.commit(to: file) } catch {
                received.discard()
                throw error
            }
            CrashPoint.uploadAfterShares.reached()
            let existing: TaskUpload?
            do {
                existing = try await self.recordUpload(upload, task: task, cts: cts, maxRows: model.maxRows)
            } catch {
                try? FileManager.default.removeItem(atPath: file)
                throw error
            }
            if let existing {
                // Lost a race to an upload of the same slot: keep its file, drop ours unless it is the same.
                if existing.sha256 != upload.sha256 { try? FileManager.default.removeItem(atPath: file) }
                return try await self.answerRepeated(upload, existing: existing, task: task, cts: cts, actor: actor)
            }
            CrashPoint.uploadAfterRecord.reached()
            NodeMetrics.inputReceived(bytes: received.bytes)
            return try await self.receipt(for: upload, task: task, cts: cts, actor: actor, repeated: false)
        } catch let error as NodeError {
            try await self.refuseUpload(error, task: task, table: table, actor: actor)
        }
    }

    /// Records `upload` unless its member already uploaded that batch (then returns that upload), already sent its
    /// final batch of the table, or the table's uploads would then exceed `maxRows`. One at a time, so the row total
    /// holds under concurrent uploads.
    private func recordUpload(
        _ upload: TaskUpload, task: String, cts: ComputationTaskSpecification, maxRows: Int
    ) async throws -> TaskUpload? {
        try await self.uploadCommits.withLock { () async throws -> TaskUpload? in
            let uploads = try await self.tasks.uploads(task: task)
            if let existing = uploads.first(where: upload.isSameSlot) { return existing }
            if let last = uploads.first(where: { $0.isSameSource(upload) && $0.final }) {
                throw NodeError(
                    .conflict,
                    "\(upload.member) has already sent its final batch of table '\(upload.table)' of task \(cts.id) "
                        + "(batch \(last.batch)): no batch is taken after it")
            }
            // maxRows bounds the table across every input party and batch: checked at each upload, not at compute
            // time.
            let total = uploads.filter { $0.table == upload.table }.reduce(upload.rows) { $0 + $1.rows }
            guard total <= maxRows else {
                throw NodeError(
                    .conflict,
                    "table '\(upload.table)' of task \(cts.id) would hold \(total) rows with these \(upload.rows), "
                        + "more than its maxRows \(maxRows)")
            }
            guard try await self.tasks.recordUpload(task: task, upload) else {
                throw NodeError(.internalFailure, "the upload of \(upload.member) to \(upload.table) was not recorded")
            }
            return nil
        }
    }

    /// The answer to an upload of a slot (member, table, batch) that already holds one: the same receipt for the same
    /// bytes and finality, a conflict naming what is held otherwise.
    private func answerRepeated(
        _ upload: TaskUpload, existing: TaskUpload, task: String, cts: ComputationTaskSpecification, actor: AuditActor
    ) async throws -> UploadResponse {
        guard existing.sha256 == upload.sha256, existing.final == upload.final else {
            throw NodeError(
                .conflict,
                "\(upload.member) has already uploaded batch \(existing.batch) of table '\(upload.table)' of task "
                    + "\(cts.id) (\(existing.rows) rows\(existing.final ? ", final" : ""), at \(existing.receivedAt)) "
                    + "with other shares; a different upload under that batch id is refused")
        }
        return try await self.receipt(for: existing, task: task, cts: cts, actor: actor, repeated: true)
    }

    /// Audits a taken upload, moves the task on, starts the computation once every input is in, and signs the
    /// receipt. For a repeated upload everything but the audit entry's `repeated` flag is as the first time.
    private func receipt(
        for upload: TaskUpload, task: String, cts: ComputationTaskSpecification, actor: AuditActor, repeated: Bool
    ) async throws -> UploadResponse {
        _ = try await self.advance(task, on: .inputsOpened, by: .system, from: [.accepted])
        var details: [(String, JSONValue)] = [
            ("table", .string(upload.table)), ("member", .string(upload.member)),
            ("rows", .number(JSONNumber(Int64(upload.rows)))), ("batch", .string(upload.batch)),
            ("final", .bool(upload.final)), ("sha256", .string(upload.sha256)),
        ]
        if repeated { details.append(("repeated", .bool(true))) }
        _ = try await self.log.append(
            try AuditDraft(actor: actor, action: .inputReceived, taskID: task, details: JSONObject(details)))
        let receipt = UploadResponse.Receipt(
            task: task, table: upload.table, member: upload.member, rows: upload.rows, batch: upload.batch,
            final: upload.final, sha256: upload.sha256, node: self.node.member.rawValue, at: upload.receivedAt)
        if try await self.inputsComplete(task, cts) { self.startComputation(task, cts) }
        return try UploadResponse.signed(receipt, by: self.node.identity.privateKey)
    }

    /// Where the uploads of a table are kept (and streamed to, before they are taken).
    func inputsDirectory(_ task: String, table: String) -> String { "\(self.directory(task))/inputs/\(table)" }

    /// Where an upload's shares are kept: named by member, batch and digest. Stores from before batches named them by
    /// member and digest, and before digests by member alone: such a file is used where it is the one there.
    func shareFile(_ task: String, _ upload: TaskUpload) -> String {
        let directory = self.inputsDirectory(task, table: upload.table)
        let named = "\(directory)/\(upload.member).\(upload.batch).\(upload.sha256).shares"
        guard !FileManager.default.fileExists(atPath: named) else { return named }
        let older = [
            "\(directory)/\(upload.member).\(upload.sha256).shares", "\(directory)/\(upload.member).shares",
        ]
        return older.first { FileManager.default.fileExists(atPath: $0) } ?? named
    }

    /// Removes what uploads cut off by a stop left behind: their temporary files, which nothing refers to. At start-up,
    /// before any upload can be under way.
    func removeUnfinishedUploads() {
        let files = FileManager.default
        let tasks = "\(self.dataDirectory)/tasks"
        for task in (try? files.contentsOfDirectory(atPath: tasks)) ?? [] {
            let inputs = "\(tasks)/\(task)/inputs"
            for table in (try? files.contentsOfDirectory(atPath: inputs)) ?? [] {
                let folder = "\(inputs)/\(table)"
                for name in (try? files.contentsOfDirectory(atPath: folder)) ?? []
                where name.hasPrefix(".") && name.hasSuffix(".tmp") {
                    try? files.removeItem(atPath: "\(folder)/\(name)")
                }
            }
        }
    }

    /// Whether every input party has sent its final batch of each of its tables.
    private func inputsComplete(_ task: String, _ cts: ComputationTaskSpecification) async throws -> Bool {
        let finals = Set(try await self.tasks.uploads(task: task).filter(\.final).map { "\($0.member)/\($0.table)" })
        return cts.parties.inputs.allSatisfy { finals.contains("\($0.member)/\($0.table)") }
    }

    // MARK: Computation

    /// Runs the MPC with the other computing parties once every input is in: only with the CTS's computing parties
    /// (mutual TLS, node certificates of exactly those members), only after all of them agree on the same uploads.
    /// Afterwards the inputs are purged (`purge-after-compute`, or whenever the computation failed); with
    /// `purge-after-outputs` they stay until the output deadline. The computation is a child task of the node's
    /// `ComputationRunner`, so it never outlives the node.
    func startComputation(_ task: String, _ cts: ComputationTaskSpecification) {
        let service = self
        let logger = self.logger.with(LoggingMetadata.task, task)
        self.computations.start(task) {
            guard
                (try? await service.advance(task, on: .computationStarted, by: .system, from: [.collectingInputs]))
                    != nil
            else { return }
            var purgeInputs = cts.retention.inputs == .purgeAfterCompute
            let started = ContinuousClock.now
            var outcome = "finished"
            do {
                _ = try await service.log.append(
                    try AuditDraft(actor: service.system, action: .computeStarted, taskID: task))
                logger.info("computation started")
                let (result, transcript) = try await service.compute(task, cts, logger: logger)
                try service.store(result, task: task)
                // A halt or the compute deadline may have ended the task meanwhile: then the result must not stay.
                guard
                    try await service.advance(task, on: .computationFinished, by: .computingParty, from: [.computing])
                        != nil
                else {
                    throw NodeError(.conflict, "the task ended during the computation")
                }
                _ = try await service.log.append(
                    try AuditDraft(
                        actor: service.system, action: .computeFinished, taskID: task,
                        details: transcript.map { ["transcript": Self.record($0).json] } ?? [:]))
                logger.info("computation finished")
            } catch {
                purgeInputs = true
                outcome = "aborted"
                logger.warning("computation aborted: \(error)")
                // Past the compute deadline the task expired, whichever node noticed first.
                let event: TaskLifecycle.Event = Date() > cts.deadlines.compute ? .expire : .abort
                if (try? await service.advance(task, on: event, by: .system, from: [.computing])) == .expired {
                    _ = try? await service.log.append(
                        try AuditDraft(
                            actor: service.system, action: .taskExpired, taskID: task,
                            details: ["deadline": .string("compute")]))
                }
                var details: JSONObject = ["reason": .string("\(error)")]
                if let transcript = (error as? TranscriptedFailure)?.transcript {
                    details["transcript"] = Self.record(transcript).json
                }
                // Who this party found deviated (an MPC check that failed), for the auditor's findings.
                if let failure = ((error as? TranscriptedFailure)?.error ?? error) as? MPCError,
                    !failure.suspects.isEmpty, let party = try? service.party(in: cts)
                {
                    details["party"] = .number(JSONNumber(Int64(party)))
                    details["computing"] = .array(cts.parties.computing.map { .string($0.rawValue) })
                    details["suspects"] = .array(failure.suspects.map { .number(JSONNumber(Int64($0))) })
                }
                _ = try? await service.log.append(
                    try AuditDraft(actor: service.system, action: .computeAborted, taskID: task, details: details))
                try? FileManager.default.removeItem(atPath: "\(service.directory(task))/result.json")
            }
            NodeMetrics.computation(outcome, seconds: (ContinuousClock.now - started) / .seconds(1))
            if purgeInputs {
                _ = try? await service.purge(
                    task, .inputs, because: "the computation ended (retention: \(cts.retention.inputs.rawValue))")
            }
        }
    }

    /// This node's party index in the task's computing parties.
    func party(in cts: ComputationTaskSpecification) throws -> Int {
        guard let party = cts.parties.computing.firstIndex(of: self.node.member) else {
            throw NodeError(.forbidden, "\(self.node.member) is not a computing party of \(cts.id)")
        }
        return party
    }

    /// Connects to the other computing parties, agrees with them on the uploads, runs the query on the task's engine
    /// and returns the result body this node releases.
    private func compute(_ task: String, _ cts: ComputationTaskSpecification, logger: Logger) async throws -> (
        [UInt8], SessionTranscript?
    ) {
        let plan = try QueryChecker.check(cts)
        let shares = try TaskShares(task: task, cts: cts)
        let party = try self.party(in: cts)
        try await self.awaitPeersReady(task, cts, unreachableLimit: self.node.configuration.sessionConnectTimeout)
        var peers: [MPCTLSTransport.Peer] = []
        for (index, member) in cts.parties.computing.enumerated() {
            guard let (host, port) = self.node.directory.member(member)?.mpcAddress else {
                throw NodeError(.configuration, "the directory has no node endpoint for computing party \(member)")
            }
            peers.append(.init(party: index, member: member, host: host, port: port))
        }
        var configuration = MPCTLSTransport.Configuration(
            party: party, peers: peers, session: Array(Hex.decode(task)?.prefix(16) ?? []),
            authentication: TLSPeerAuthentication(identity: self.node.identity, verifier: self.node.verifier)
        )
        configuration.roundTimeout = .milliseconds(Int(self.node.configuration.roundTimeoutSeconds * 1000))
        configuration.connectTimeout = self.node.configuration.sessionConnectTimeout
        if let silence = self.node.configuration.silenceLimitSeconds {
            configuration.silenceLimit = .milliseconds(Int(silence * 1000))
        }
        configuration.listener = self.mpc.listener
        configuration.keepsTranscript = self.node.configuration.mpcTranscripts ?? (cts.engine.security == .active)
        configuration.lieInEndClaims = MPCCorruption.armed == .lieInEndClaims
        let (audits, system) = (self.audits, self.system)
        configuration.onRejectedPeer = { reason in
            if let draft = try? AuditDraft(
                actor: system, action: .requestDenied, taskID: task,
                details: ["what": .string("MPC connection"), "reason": .string(reason)])
            {
                audits.enqueue(draft)
            }
        }
        let transport = try await MPCTLSTransport.establish(
            configuration, logger: logger.with(LoggingMetadata.party, "\(party)"))
        self.computations.started(task, transport)
        defer { self.computations.ended(task) }
        do {
            // A halt or deadline that came while the session was being set up could not reach it.
            guard try await self.tasks.record(task)?.state == .computing else {
                throw MPCError(.cancelled, "task \(task) ended before its session started")
            }
            // The same uploads everywhere, in the same order (the store's: table, member, batch): members, tables, row
            // counts, the input parties' batch ids and which are final.
            let uploads = try await self.tasks.uploads(task: task).sorted {
                ($0.table, $0.member, $0.batch) < ($1.table, $1.member, $1.batch)
            }
            let summary = uploads.map { "\($0.table)|\($0.member)|\($0.rows)|\($0.batch)|\($0.final)" }.joined(
                separator: "\n")
            let digest = Array(SHA256.hash(data: Data(summary.utf8)))
            try await transport.agree(
                on: (0..<4).map { i in digest[i * 8..<(i + 1) * 8].reduce(0) { $0 << 8 | UInt64($1) } },
                what: "the uploaded inputs")
            try await self.exchangeMeasurements(task, cts, transport: transport, party: party)
            try await SessionHold.pause()
            let files = plan.inputs.map { input in
                uploads.filter { $0.table == input.table.name }.map { self.shareFile(task, $0) }
            }
            let body = try await self.run(
                plan, shares: shares, party: party, files: files, transport: transport, engine: shares.engine)
            return (body, transport.transcript)
        } catch {
            // Whatever failed here, the peers must hear it now rather than wait for a round timeout.
            transport.abort(error as? MPCError ?? MPCError(.cancelled, "computing party \(party) failed: \(error)"))
            await transport.flushAbort()
            // A session ended in dispute leaves its transcript as evidence.
            if let transcript = transport.transcript { throw TranscriptedFailure(error: error, transcript: transcript) }
            throw error
        }
    }

    /// A transcript as the audit log records it.
    static func record(_ transcript: SessionTranscript) -> TranscriptRecord {
        TranscriptRecord(
            party: transcript.party,
            links: transcript.links.map { link in
                TranscriptRecord.Link(
                    peer: link.peer, sent: Hex.encode(link.sent), received: Hex.encode(link.received),
                    claimSent: link.claim.map { Hex.encode($0.sent) },
                    claimReceived: link.claim.map { Hex.encode($0.received) },
                    claimSignature: link.claim.map { Hex.encode($0.signature) })
            })
    }

    /// The MPC session proper, on engine `E`: this party's shares of the inputs (read from `files`, each input's
    /// batches), the query's program, the engine's final checks, then the body to release. A query that allows it
    /// reads its table a chunk of rows at a time, so that memory does not grow with the table.
    private func run<E: MPCEngine>(
        _ plan: QueryPlan, shares: TaskShares, party: Int, files: [[String]], transport: MPCTLSTransport,
        engine: E.Type
    ) async throws -> [UInt8] {
        var engine = try await E.establish(transport: transport)
        let stored = try zip(plan.inputs, files).map { input, files in
            let stored = try StoredShares<E.Share>(
                files: files, columns: input.table.storedColumnNames.count,
                check: shares.headerCheck(of: input.table, party: party))
            guard stored.rows <= input.table.maxRows else {
                throw NodeError(
                    .invalidRequest,
                    "the inputs hold \(stored.rows) rows of \(input.table.name), more than maxRows \(input.table.maxRows)"
                )
            }
            return stored
        }
        if let deviation = MPCCorruption.deviation { try engine.deviate(deviation) }
        let program = MPCQueryProgram<E>(plan: plan, rows: stored.map(\.rows))
        let result: PartyResult<E.Share>
        if MPCQueryProgram<E>.runsInChunks(plan) {
            result = try await program.run(
                &engine, chunkRows: self.node.configuration.chunkRows ?? defaultChunkRows, load: stored[0].columns)
        } else {
            result = try await program.run(&engine, inputs: try stored.map { try $0.columns(0..<$0.rows) })
        }
        try await engine.finish()
        // Inputs outside the data model or failing a quality rule: the task aborts, saying which, and releases nothing.
        if let reason = plan.abortReason(result.facts) { throw QueryError(.qualityAbort, reason) }
        return try shares.resultBody(result, party: party)
    }

    private func store(_ body: [UInt8], task: String) throws {
        try Data(body).write(to: URL(fileURLWithPath: "\(self.directory(task))/result.json"), options: .atomic)
    }

    // MARK: Output

    /// This node's shares of the result, only for the task's output parties, only until the output deadline.
    package func output(_ task: String, for caller: VerifiedIdentity, now: Date = Date()) async throws -> [UInt8] {
        let actor = Self.actor(caller)
        let (record, cts) = try await self.status(task, for: caller)
        do {
            try self.authorize(.outputFetch, caller, task: cts)
            guard let member = caller.memberID else { throw NodeError(.forbidden, "the caller names no member") }
            guard now <= cts.deadlines.outputs else {
                throw NodeError(.deadlinePassed, "the output deadline has passed")
            }
            guard record.state == .resultsReady || record.state == .completed else {
                throw NodeError(.conflict, "task \(cts.id) is \(record.state.rawValue): no result to release")
            }
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: "\(self.directory(task))/result.json")))
            _ = try await self.log.append(
                try AuditDraft(
                    actor: actor, action: .outputReleased, taskID: task,
                    details: ["sha256": .string(Hex.encode(SHA256.hash(data: bytes)))]))
            NodeMetrics.outputReleased()
            // Once every output party has its shares the task is complete; they can fetch again until the output deadline.
            let fetched = try await self.tasks.recordRelease(task: task, member: member.rawValue)
            if cts.parties.outputs.allSatisfy({ fetched.contains($0.rawValue) }),
                try await self.advance(task, on: .outputsDelivered, by: .system, from: [.resultsReady]) != nil
            {
                try await self.logState(task, .completed, because: "every output party fetched the result")
            }
            return bytes
        } catch let error as NodeError {
            _ = try await self.log.append(
                try AuditDraft(
                    actor: actor, action: .outputRefused, taskID: task, details: ["reason": .string(error.message)]))
            throw error
        }
    }

    /// The audit actor of a verified caller: its certificate fingerprint and Consort identity.
    static func actor(_ caller: VerifiedIdentity) -> AuditActor {
        AuditActor(fingerprint: caller.fingerprint, subject: caller.identity.map { "\($0)" } ?? caller.subject)
    }
}

/// A computation that failed with its session's transcript (a dispute at the session's end): the evidence the audit
/// log keeps.
struct TranscriptedFailure: Error, CustomStringConvertible {
    var error: any Error
    var transcript: SessionTranscript
    var description: String { "\(self.error)" }
}
