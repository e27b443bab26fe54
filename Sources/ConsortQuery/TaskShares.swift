import ConsortMPC
import ConsortSpec
import Foundation

/// The share envelopes of one task, for whichever engine its CTS chose: what an input party deals, what each
/// computing party checks before it stores an upload, how it reads its inputs back and releases its result, and how
/// an output party puts the results together.
package struct TaskShares: Sendable {
    package let task: String
    package let cts: ComputationTaskSpecification
    package let engine: any MPCEngine.Type

    /// The shares of task `task` (the SHA-256 of its CTS), on the engine this build runs for the CTS's descriptor.
    package init(task: String, cts: ComputationTaskSpecification) throws {
        self.task = task
        self.cts = cts
        self.engine = try EngineRegistry.shared.engine(for: cts.engine)
    }

    /// The column name of a result's cells in its envelope.
    static let resultColumn = "cells"

    /// The header computing party `party`'s shares of `columns` must carry.
    package func header(party: Int, columns: [String], rows: Int) -> ShareEnvelope.Header {
        ShareEnvelope.Header(
            engine: self.cts.engine.identity, modulus: self.engine.traits.domain.modulus, party: party,
            parties: self.cts.engine.parties, task: self.task, columns: columns, rows: rows)
    }

    // MARK: Input parties

    /// Secret-shares one table's rows here and returns one envelope per computing party, in the CTS's order.
    package func deal(_ data: TableData, table: ComputationTaskSpecification.Table) throws -> [[UInt8]] {
        try self.deal(data, table: table, engine: self.engine)
    }

    private func deal<E: MPCEngine>(_ data: TableData, table: ComputationTaskSpecification.Table, engine: E.Type) throws
        -> [[UInt8]]
    {
        let parties = self.cts.engine.parties
        let dealt = try data.columns.map { try E.deal($0, parties: parties) }
        return try (0..<parties).map { party in
            try ShareEnvelope(
                header: self.header(party: party, columns: table.storedColumnNames, rows: data.rows),
                shares: dealt.map { $0[party] }
            ).bytes
        }
    }

    // MARK: Computing parties

    /// The largest envelope an input party can upload for `table`: every column at the table's maxRows.
    package func maximumUploadBytes(of table: ComputationTaskSpecification.Table) -> Int {
        ShareEnvelope.maximumSize(
            columns: table.storedColumnNames.count, rows: table.maxRows,
            bytesPerElement: self.bytesPerElement(self.engine))
    }

    /// The bytes of computing party `party`'s envelope of `rows` rows of `table`.
    package func uploadBytes(of table: ComputationTaskSpecification.Table, rows: Int, party: Int) -> Int {
        ShareEnvelope.size(
            header: self.header(party: party, columns: table.storedColumnNames, rows: rows),
            bytesPerElement: self.bytesPerElement(self.engine))
    }

    /// The check of an envelope of `table` uploaded to computing party `party`, run over its bytes as they arrive:
    /// task, engine, party, columns and row count once its header is in, the payload's size at the end. Errors name
    /// what does not match.
    package func uploadCheck(of table: ComputationTaskSpecification.Table, party: Int) -> ShareEnvelopeStream {
        ShareEnvelopeStream(
            bytesPerElement: self.bytesPerElement(self.engine), check: self.headerCheck(of: table, party: party))
    }

    /// The check of the header of an envelope of `table` for computing party `party`: task, engine, party, columns,
    /// and at most the table's maxRows.
    package func headerCheck(of table: ComputationTaskSpecification.Table, party: Int)
        -> @Sendable (
            ShareEnvelope.Header
        ) throws -> Void
    {
        let expected = self.header(party: party, columns: table.storedColumnNames, rows: 0)
        return { header in
            var expected = expected
            expected.rows = header.rows
            try header.check(expected, maximumRows: table.maxRows)
        }
    }

    private func bytesPerElement<E: MPCEngine>(_ engine: E.Type) -> Int { E.Share.bytesPerElement }

    /// What a computing party releases to output parties: the opened facts and its shares of the cells, in an envelope.
    package struct ResultBody: Codable, Sendable {
        package var facts: PublicFacts
        /// The envelope of the cells, base64url.
        package var cells: String
    }

    /// Party `party`'s result as the JSON body a node stores and releases.
    package func resultBody<Share: SharedVector>(_ result: PartyResult<Share>, party: Int) throws -> [UInt8] {
        let envelope = try ShareEnvelope(
            header: self.header(party: party, columns: [Self.resultColumn], rows: result.cells.count),
            shares: [result.cells])
        let body = ResultBody(facts: result.facts, cells: Base64URL.encode(envelope.bytes))
        return Array(try JSONEncoder().encode(body))
    }

    // MARK: Output parties

    /// The result, from every computing party's released body (in the CTS's order of computing parties): each
    /// envelope must be that party's for this task and engine, the facts must agree and the engine must find the
    /// shares consistent.
    package func reconstruct(_ bodies: [[UInt8]], plan: QueryPlan) throws -> QueryResult {
        try self.reconstruct(bodies, plan: plan, engine: self.engine)
    }

    private func reconstruct<E: MPCEngine>(_ bodies: [[UInt8]], plan: QueryPlan, engine: E.Type) throws -> QueryResult {
        guard bodies.count == self.cts.engine.parties else {
            throw MPCError(
                .invalidArgument,
                "a result needs the shares of all \(self.cts.engine.parties) computing parties, not \(bodies.count)")
        }
        let results = try bodies.enumerated().map { party, bytes -> PartyResult<E.Share> in
            let body: ResultBody
            do { body = try JSONDecoder().decode(ResultBody.self, from: Data(bytes)) } catch {
                throw MPCError(.invalidArgument, "computing party \(party) released a malformed result: \(error)")
            }
            guard let raw = Base64URL.decode(body.cells) else {
                throw MPCError(.invalidArgument, "computing party \(party) released cells that are not base64url")
            }
            let envelope = try ShareEnvelope(bytes: raw)
            try envelope.check(
                self.header(party: party, columns: [Self.resultColumn], rows: envelope.header.rows), maximumRows: .max)
            return PartyResult(facts: body.facts, cells: try envelope.shares(as: E.Share.self)[0])
        }
        return try MPCQueryEngine.reconstruct(plan, results: results, engine: E.self)
    }
}
