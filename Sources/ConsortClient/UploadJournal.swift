import ConsortPKI
import ConsortSpec
import Foundation

/// An input party's record of one table's upload to a task, on its own disk (`ROOT/TASK/TABLE/`): the batch id, the
/// digest of the CSV it came from, each computing party's body until that party has taken it, and each signed
/// receipt.
///
/// A retry after a failure sends exactly the same bodies under the same batch id, so a node that took the first attempt
/// answers with the same receipt, and no node ever holds two different uploads of one table. Once every party has
/// taken its body the bodies are deleted; the receipts stay as the input party's proof of what each node took. The
/// bodies are shares of the party's own rows (together they are the rows), so the files are readable by their owner
/// only, like the CSV they came from.
package struct UploadJournal: Sendable {
    package struct Batch: Codable, Sendable, Equatable {
        package var batch: String
        package var rows: Int
        /// SHA-256 (hex) of the CSV file the rows came from.
        package var source: String
        package var started: String
    }

    package let directory: String

    package init(root: String, task: String, table: String) {
        self.directory = "\(root)/\(task)/\(table)"
    }

    private var batchFile: String { "\(self.directory)/batch.json" }
    private func bodyFile(_ member: MemberID) -> String { "\(self.directory)/\(member).shares" }
    private func receiptFile(_ member: MemberID) -> String { "\(self.directory)/\(member).receipt.json" }

    /// The batch begun here for this task and table, if any.
    package func batch() throws -> Batch? {
        guard FileManager.default.fileExists(atPath: self.batchFile) else { return nil }
        do {
            return try APIJSON.decode(Batch.self, from: Data(contentsOf: URL(fileURLWithPath: self.batchFile)))
        } catch {
            throw ClientError(
                .invalidInput, "the upload journal '\(self.batchFile)' is unreadable: \(error)", underlying: error)
        }
    }

    /// Records a new batch: every body first, then the batch file that makes it the pending batch.
    package func begin(_ batch: Batch, bodies: [(MemberID, [UInt8])]) throws {
        try FileManager.default.createDirectory(
            atPath: self.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (member, body) in bodies { try Self.write(body, to: self.bodyFile(member)) }
        try Self.write(try APIJSON.encode(batch), to: self.batchFile)
    }

    /// The body still to be sent to `member` (nil once it has taken it).
    package func body(for member: MemberID) throws -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: self.bodyFile(member)) else { return nil }
        return Array(try Data(contentsOf: URL(fileURLWithPath: self.bodyFile(member))))
    }

    /// The receipt `member`'s node signed for this batch, if it has taken it.
    package func receipt(for member: MemberID) -> UploadResponse? {
        guard let data = FileManager.default.contents(atPath: self.receiptFile(member)) else { return nil }
        return try? APIJSON.decode(UploadResponse.self, from: data)
    }

    /// Keeps `member`'s receipt, then forgets the body it took.
    package func record(_ response: UploadResponse, for member: MemberID) throws {
        try Self.write(try APIJSON.encode(response), to: self.receiptFile(member))
        try? FileManager.default.removeItem(atPath: self.bodyFile(member))
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
