import ConsortPKI
import ConsortQuery
import ConsortSpec
import Crypto
import Foundation

extension MemberClient {
    /// Rows per batch unless the caller says otherwise: a batch's shares are held in memory while it is sent.
    package static let defaultBatchRows = 1_000_000

    /// One upload of a table: its batches, rows, and what each computing party holds of it (receipts verified).
    package struct Upload: Sendable {
        /// The upload's id; its batches are `ID-000001`, … in `batches`, the last one final.
        package var id: String
        package var batches: [String]
        package var rows: Int
        /// Each computing party's part, in the CTS's order.
        package var parties: [Party]
        /// Where the batches not yet taken and the receipts are kept, when journalled.
        package var journal: String?

        package struct Party: Sendable {
            package var member: MemberID
            /// The receipts of the batches it holds, in batch order.
            package var receipts: [UploadResponse.Receipt] = []
            /// How many of them it took in an earlier attempt (their receipts are in the journal).
            package var takenEarlier = 0
            /// Its answer to the batch it did not take (a refusal, or why it could not be asked).
            package var refusal: NodeAnswer<UploadResponse>?
        }

        /// Whether every party holds every batch.
        package var complete: Bool { self.parties.allSatisfy { $0.receipts.count == self.batches.count } }
        /// The parties that failed a batch this time.
        package var failures: Int { self.parties.filter { $0.refusal != nil }.count }
        /// The parties that hold every batch.
        package var taken: [MemberID] {
            self.parties.filter { $0.receipts.count == self.batches.count }.map(\.member)
        }

        /// What each party took this time and earlier, and what it refused.
        package var partyLines: [String] {
            self.parties.map { party in
                var parts: [String] = []
                let (earlier, now) = (party.takenEarlier, party.receipts.count - party.takenEarlier)
                if earlier > 0 {
                    parts.append(
                        earlier == 1
                            ? "took batch \(self.batches[0]) earlier (receipt kept)"
                            : "took \(earlier) batches earlier (receipts kept)")
                }
                if now > 0, let last = party.receipts.last {
                    let rows = party.receipts.suffix(now).reduce(0) { $0 + $1.rows }
                    parts.append(
                        "took \(rows) rows\(now > 1 ? " in \(now) batches, the last" : "") at \(last.at) "
                            + "(\(now > 1 ? "each " : "")receipt signed by its node, sha256 \(last.sha256.prefix(16))…)"
                    )
                }
                if let refusal = party.refusal {
                    let batch = self.batches[min(party.receipts.count, self.batches.count - 1)]
                    parts.append(self.batches.count == 1 ? refusal.refusal : "batch \(batch): \(refusal.refusal)")
                }
                return "\(party.member): \(parts.joined(separator: "; "))"
            }
        }

        /// Where the upload stands, in a line: all taken, nothing taken, or who misses what.
        package func summary(table: String) -> String {
            let kept = self.journal.map { " (journal: \($0))" } ?? ""
            let what =
                self.batches.count == 1
                ? "batch \(self.batches[0])" : "\(self.batches.count) batches (\(self.id)-000001 …)"
            if self.complete {
                return "uploaded \(self.rows) rows of '\(table)' as \(what) to every computing party\(kept)"
            }
            if self.parties.allSatisfy({ $0.receipts.isEmpty }) {
                return "nothing was uploaded: every computing party refused \(what)\(kept)"
            }
            let missing = self.parties.filter { $0.receipts.count < self.batches.count }.map(\.member.rawValue)
            let holding = self.taken.map(\.rawValue)
            return "\(what) \(self.batches.count == 1 ? "is" : "are") held by "
                + "\(holding.isEmpty ? "no party whole" : holding.joined(separator: ", ")) but not by "
                + "\(missing.joined(separator: ", "))\(kept)"
        }
    }

    /// Reads and validates a CSV against the task's table here (nothing leaves on a bad row), then uploads it in
    /// batches of at most `batchRows` rows.
    ///
    /// With a journal root, the upload and each batch are recorded there before anything is sent (`UploadJournal`):
    /// running the same upload again after a failure sends the same shares under the same batch ids to the parties
    /// that have not taken them, and a different file for the same table is refused here while an upload is begun.
    package func upload(
        csv path: String, task: String, table: String, journal root: String? = nil,
        batchRows: Int = MemberClient.defaultBatchRows, progress: (any UploadProgress)? = nil
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
            return try await self.upload(
                data, task: task, table: table, cts: cts, batchRows: batchRows, progress: progress)
        }
        let source = Hex.encode(SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))))
        return try await self.upload(
            data, source: source, task: task, table: table, cts: cts, journal: root, batchRows: batchRows,
            progress: progress)
    }

    /// Rows already read and checked, journalled under `root` (`source`: the SHA-256 of the file they came from,
    /// which ties a retry to the same rows). An upload already begun there keeps its batches.
    package func upload(
        _ data: TableData, source: String, task: String, table: String, cts: ComputationTaskSpecification,
        journal root: String, batchRows: Int = MemberClient.defaultBatchRows, progress: (any UploadProgress)? = nil
    ) async throws -> Upload {
        let journal = UploadJournal(root: root, task: task, table: table)
        let plan: UploadJournal.Upload
        if let begun = try journal.upload() {
            guard begun.source == source, begun.rows == data.rows else {
                throw ClientError(
                    .invalidInput,
                    "table '\(table)' of task \(task) already has upload \(begun.id) (\(begun.rows) rows, begun "
                        + "\(begun.started)) from a different file: upload that file again to finish it, or remove "
                        + "\(journal.directory) to give it up (a node that took a batch of it refuses any other)")
            }
            plan = begun
        } else {
            plan = try Self.plan(rows: data.rows, batchRows: batchRows, source: source)
            try journal.begin(plan)
        }
        var upload = try await self.send(data, plan, task: task, table: table, cts: cts, journal: journal, progress)
        // Refused outright by every party (HTTP refusals, not lost answers) before any took a batch: no node holds
        // anything of it, so it need not be finished and the journal lets it go.
        let refusedOutright = upload.parties.allSatisfy { party in
            party.receipts.isEmpty && (party.refusal?.status).map { (400..<500).contains($0) } == true
        }
        if refusedOutright {
            try? FileManager.default.removeItem(atPath: journal.directory)
            upload.journal = nil
        }
        return upload
    }

    /// Secret-shares one table's rows here and sends each computing party its envelopes, batch after batch (one
    /// attempt, no journal).
    package func upload(
        _ data: TableData, task: String, table: String, cts: ComputationTaskSpecification,
        batchRows: Int = MemberClient.defaultBatchRows, progress: (any UploadProgress)? = nil
    ) async throws -> Upload {
        let plan = try Self.plan(rows: data.rows, batchRows: batchRows, source: "")
        return try await self.send(data, plan, task: task, table: table, cts: cts, journal: nil, progress)
    }

    private static func plan(rows: Int, batchRows: Int, source: String) throws -> UploadJournal.Upload {
        guard batchRows > 0 else { throw ClientError(.invalidInput, "a batch must hold at least one row") }
        return UploadJournal.Upload(
            id: UUID().uuidString.lowercased(), rows: rows, batchRows: batchRows, source: source,
            started: DocumentReader.formatTimestamp(Date()))
    }

    /// Sends the batches in order, each to every party that does not hold it yet, all parties at once; stops after a
    /// batch some party did not take (a later batch is dealt only once every party holds the ones before, so that
    /// at most one batch's shares wait in the journal).
    private func send(
        _ data: TableData, _ plan: UploadJournal.Upload, task: String, table: String,
        cts: ComputationTaskSpecification, journal: UploadJournal?, _ progress: (any UploadProgress)?
    ) async throws -> Upload {
        guard let model = cts.table(named: table) else {
            throw ClientError(.invalidInput, "task \(cts.id) has no table '\(table)'")
        }
        let members = cts.parties.computing
        var parties = members.map { Upload.Party(member: $0) }
        let shares: TaskShares
        do { shares = try TaskShares(task: task, cts: cts) } catch {
            throw ClientError(.invalidInput, "cannot share the rows for task \(cts.id): \(error)", underlying: error)
        }
        let total = members.indices.reduce(0) { total, party in
            (0..<plan.batches).reduce(total) {
                $0 + shares.uploadBytes(of: model, rows: plan.rows(of: $1).count, party: party)
            }
        }
        progress?.start(total: total, parts: members.count)
        defer { progress?.finish() }
        var sentBefore = [Int](repeating: 0, count: members.count)
        for index in 0..<plan.batches {
            let rows = plan.rows(of: index)
            // The bodies still to send: from the journal when the batch was dealt in an earlier attempt.
            var pending: [(party: Int, body: [UInt8])] = []
            if let journal, journal.isBegun(index) {
                for (party, member) in members.enumerated() {
                    if let receipt = journal.receipt(index, for: member) {
                        parties[party].receipts.append(receipt.receipt)
                        parties[party].takenEarlier += 1
                    } else if let body = try journal.body(index, for: member) {
                        pending.append((party, body))
                    } else {
                        throw ClientError(
                            .invalidInput,
                            "the upload journal \(journal.directory) has neither a receipt nor shares of batch "
                                + "\(plan.batch(index)) for \(member): remove it to start over")
                    }
                }
            } else {
                let bodies: [[UInt8]]
                do { bodies = try shares.deal(data.rows(rows), table: model) } catch {
                    throw ClientError(
                        .invalidInput, "cannot share the rows for task \(cts.id): \(error)", underlying: error)
                }
                try journal?.begin(index, bodies: Array(zip(members, bodies)))
                pending = Array(bodies.enumerated()).map { ($0.offset, $0.element) }
            }
            let batch = UploadBatch(
                task: task, table: table, id: plan.batch(index), final: index == plan.batches - 1, rows: rows.count)
            let (offsets, pendingParties) = (sentBefore, pending.map(\.party))
            let answers = await self.send(batch, pending.map { (members[$0.party], $0.body) }) { part, sent in
                let party = pendingParties[part]
                progress?.update(part: party, sent: offsets[party] + sent)
            }
            for ((party, body), answer) in zip(pending, answers) {
                sentBefore[party] += body.count
                if let value = answer.value, answer.succeeded {
                    try journal?.record(value, batch: index, for: members[party])
                    parties[party].receipts.append(value.receipt)
                } else {
                    parties[party].refusal = answer
                }
            }
            if parties.contains(where: { $0.refusal != nil }) { break }
        }
        return Upload(
            id: plan.id, batches: (0..<plan.batches).map(plan.batch), rows: plan.rows, parties: parties,
            journal: journal?.directory)
    }

    /// What one batch's receipts must name.
    private struct UploadBatch {
        var task: String
        var table: String
        var id: String
        var final: Bool
        var rows: Int
    }

    /// Sends each party its body of one batch, to all at once. Each receipt must be signed by the node that took the
    /// batch and name what was sent.
    private func send(
        _ batch: UploadBatch, _ parties: [(MemberID, [UInt8])], progress: @escaping @Sendable (Int, Int) -> Void
    ) async -> [NodeAnswer<UploadResponse>] {
        await withTaskGroup(of: (Int, NodeAnswer<UploadResponse>).self) { group in
            for (index, (member, body)) in parties.enumerated() {
                group.addTask {
                    let answer = await self.ask(
                        .post, "/v1/tasks/\(batch.task)/inputs/\(batch.table)?batch=\(batch.id)&final=\(batch.final)",
                        body: body, of: member, as: UploadResponse.self, timeout: .seconds(300)
                    ) { progress(index, $0) }
                    return (index, self.checkReceipt(answer, batch, body: body))
                }
            }
            return await group.reduce(into: [(Int, NodeAnswer<UploadResponse>)]()) { $0.append($1) }.sorted {
                $0.0 < $1.0
            }.map(\.1)
        }
    }

    private func checkReceipt(_ answer: NodeAnswer<UploadResponse>, _ batch: UploadBatch, body: [UInt8])
        -> NodeAnswer<UploadResponse>
    {
        guard let response = answer.value else { return answer }
        var checked = answer
        let receipt = response.receipt
        let digest = Hex.encode(SHA256.hash(data: body))
        if receipt.task != batch.task || receipt.table != batch.table || receipt.rows != batch.rows
            || receipt.batch != batch.id || receipt.final != batch.final || receipt.sha256 != digest
            || receipt.node != answer.member.rawValue
        {
            checked.error = ClientError(.invalidResponse, "\(answer.member)'s receipt does not name this upload")
        } else if let certificate = answer.nodeCertificate, !response.isSigned(by: certificate) {
            checked.error = ClientError(.invalidResponse, "\(answer.member)'s receipt is not signed by its node")
        }
        return checked
    }
}
