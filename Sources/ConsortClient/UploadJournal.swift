import ConsortPKI
import ConsortSpec
import Foundation

/// An input party's record of one table's upload to a task, on its own disk (`ROOT/TASK/TABLE/`): the upload's id,
/// the digest of the CSV it came from and how its rows are cut into batches (`upload.json`), then per batch
/// (`NNNNNN/`) each computing party's body until that party has taken it, and each signed receipt.
///
/// A retry after a failure sends exactly the same bodies under the same batch ids, so a node that took a batch in the
/// first attempt answers with the same receipt, and no node ever holds a row twice. A batch is dealt (secret-shared)
/// only when the batches before it are with every party, so at most one batch's bodies are on disk at a time; once
/// every party has taken a body it is deleted, and the receipts stay as the input party's proof of what each node
/// took. The bodies are shares of the party's own rows (together they are the rows), so the files are readable by
/// their owner only, like the CSV they came from.
package struct UploadJournal: Sendable {
    /// One upload of a table: its rows, cut into batches of `batchRows` (the last one final).
    package struct Upload: Codable, Sendable, Equatable {
        /// The upload's id: batch `i` is sent as `ID-iiiiii`.
        package var id: String
        package var rows: Int
        package var batchRows: Int
        /// SHA-256 (hex) of the CSV file the rows came from.
        package var source: String
        package var started: String

        package init(id: String, rows: Int, batchRows: Int, source: String, started: String) {
            self.id = id
            self.rows = rows
            self.batchRows = batchRows
            self.source = source
            self.started = started
        }

        /// How many batches: at least one (an empty table is one empty, final batch).
        package var batches: Int { max(1, (self.rows + self.batchRows - 1) / self.batchRows) }
        /// The id of batch `index`.
        package func batch(_ index: Int) -> String { "\(self.id)-\(String(format: "%06d", index + 1))" }
        /// The rows of batch `index`.
        package func rows(of index: Int) -> Range<Int> {
            index * self.batchRows..<min(self.rows, (index + 1) * self.batchRows)
        }
    }

    package let directory: String

    package init(root: String, task: String, table: String) {
        self.directory = "\(root)/\(task)/\(table)"
    }

    private var uploadFile: String { "\(self.directory)/upload.json" }
    private func batchDirectory(_ index: Int) -> String { "\(self.directory)/\(String(format: "%06d", index + 1))" }
    private func begunFile(_ index: Int) -> String { "\(self.batchDirectory(index))/begun" }
    private func bodyFile(_ index: Int, _ member: MemberID) -> String {
        "\(self.batchDirectory(index))/\(member).shares"
    }
    private func receiptFile(_ index: Int, _ member: MemberID) -> String {
        "\(self.batchDirectory(index))/\(member).receipt.json"
    }

    /// The upload begun here for this task and table, if any.
    package func upload() throws -> Upload? {
        guard FileManager.default.fileExists(atPath: self.uploadFile) else {
            if FileManager.default.fileExists(atPath: "\(self.directory)/batch.json") {
                throw ClientError(
                    .invalidInput,
                    "the upload journal \(self.directory) was written by an older consort that sent a table in one "
                        + "batch: finish that upload with it, or remove the journal to start over")
            }
            return nil
        }
        do {
            return try APIJSON.decode(Upload.self, from: Data(contentsOf: URL(fileURLWithPath: self.uploadFile)))
        } catch {
            throw ClientError(
                .invalidInput, "the upload journal '\(self.uploadFile)' is unreadable: \(error)", underlying: error)
        }
    }

    /// Records a new upload (before any batch of it is dealt).
    package func begin(_ upload: Upload) throws {
        try Self.makeDirectory(self.directory)
        try Self.write(try APIJSON.encode(upload), to: self.uploadFile)
    }

    /// Whether batch `index` has been dealt (its bodies are kept, or taken).
    package func isBegun(_ index: Int) -> Bool { FileManager.default.fileExists(atPath: self.begunFile(index)) }

    /// Records batch `index`'s bodies: every body first, then the mark that makes them the batch's.
    package func begin(_ index: Int, bodies: [(MemberID, [UInt8])]) throws {
        try Self.makeDirectory(self.batchDirectory(index))
        for (member, body) in bodies { try Self.write(body, to: self.bodyFile(index, member)) }
        try Self.write([], to: self.begunFile(index))
    }

    /// The body of batch `index` still to be sent to `member` (nil once it has taken it).
    package func body(_ index: Int, for member: MemberID) throws -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: self.bodyFile(index, member)) else { return nil }
        return Array(try Data(contentsOf: URL(fileURLWithPath: self.bodyFile(index, member))))
    }

    /// The receipt `member`'s node signed for batch `index`, if it has taken it.
    package func receipt(_ index: Int, for member: MemberID) -> UploadResponse? {
        guard let data = FileManager.default.contents(atPath: self.receiptFile(index, member)) else { return nil }
        return try? APIJSON.decode(UploadResponse.self, from: data)
    }

    /// The receipts `member`'s node signed for `upload`'s batches, in order, up to the first it has not taken.
    package func receipts(_ upload: Upload, for member: MemberID) -> [UploadResponse.Receipt] {
        var receipts: [UploadResponse.Receipt] = []
        for index in 0..<upload.batches {
            guard let receipt = self.receipt(index, for: member) else { break }
            receipts.append(receipt.receipt)
        }
        return receipts
    }

    /// Keeps `member`'s receipt of batch `index`, then forgets the body it took.
    package func record(_ response: UploadResponse, batch index: Int, for member: MemberID) throws {
        try Self.write(try APIJSON.encode(response), to: self.receiptFile(index, member))
        try? FileManager.default.removeItem(atPath: self.bodyFile(index, member))
    }

    private static func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Written whole or not at all, readable by the owner only.
    private static func write(_ bytes: [UInt8], to path: String) throws {
        let temporary = "\(path).\(UUID().uuidString).tmp"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        else {
            throw ClientError(.invalidInput, "cannot write '\(path)'")
        }
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw ClientError(.invalidInput, "cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
    }
}
