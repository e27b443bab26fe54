import ConsortMPC
import ConsortSpec
import Foundation

/// One computing party's stored shares of one table — the envelopes of every input party's batches, one file each —
/// read a range of rows at a time, so that a computation over a large table never holds more of it than a chunk.
/// Rows are numbered through the files in the order given.
package struct StoredShares<Share: SharedVector>: Sendable {
    /// One envelope file: where its payload starts and how many rows it holds.
    struct Part: Sendable {
        var path: String
        var payloadStart: Int
        var rows: Int
        /// The table's rows before this part's.
        var first: Int
    }

    let parts: [Part]
    let columns: Int
    /// The table's rows, over every file.
    package let rows: Int

    /// Reads and checks the header of each file (`check` refuses one that is not this party's shares of the table);
    /// each payload's length must be exactly what its header announces.
    package init(files: [String], columns: Int, check: (ShareEnvelope.Header) throws -> Void) throws {
        var parts: [Part] = []
        var rows = 0
        for path in files {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw MPCError(.invalidArgument, "the stored shares '\(path)' cannot be opened")
            }
            defer { try? handle.close() }
            var prefix: [UInt8] = []
            var framed: (ShareEnvelope.Header, payloadStart: Int)?
            while framed == nil {
                // Header lengths are bounded (`ShareEnvelope.frame` refuses more), so this ends.
                let piece = try handle.read(upToCount: 4096) ?? Data()
                guard !piece.isEmpty else {
                    throw MPCError(.invalidArgument, "the stored shares '\(path)' end inside their header")
                }
                prefix += piece
                framed = try ShareEnvelope.frame(prefix)
            }
            let (header, payloadStart) = framed!
            try check(header)
            let size = Int(try handle.seekToEnd())
            guard size - payloadStart == header.rows * columns * Share.bytesPerElement else {
                throw MPCError(
                    .invalidArgument,
                    "the stored shares '\(path)' hold \(size - payloadStart) bytes where \(header.rows) rows of "
                        + "\(columns) columns take \(header.rows * columns * Share.bytesPerElement)")
            }
            parts.append(Part(path: path, payloadStart: payloadStart, rows: header.rows, first: rows))
            rows += header.rows
        }
        self.parts = parts
        self.columns = columns
        self.rows = rows
    }

    /// This party's shares of every column at rows `range`.
    package func columns(_ range: Range<Int>) throws -> [Share] {
        let width = Share.bytesPerElement
        var pieces = [[Share]](repeating: [], count: self.columns)
        for part in self.parts where part.first < range.upperBound && part.first + part.rows > range.lowerBound {
            let local =
                max(range.lowerBound, part.first) - part.first..<min(range.upperBound, part.first + part.rows)
                - part.first
            guard let handle = FileHandle(forReadingAtPath: part.path) else {
                throw MPCError(.invalidArgument, "the stored shares '\(part.path)' cannot be opened")
            }
            defer { try? handle.close() }
            for column in 0..<self.columns {
                var encoded: [UInt8] = []
                encoded.reserveCapacity(local.count * width)
                for bytes in Share.encodedRanges(of: local, count: part.rows) {
                    try handle.seek(toOffset: UInt64(part.payloadStart + column * part.rows * width + bytes.lowerBound))
                    let read = try handle.read(upToCount: bytes.count) ?? Data()
                    guard read.count == bytes.count else {
                        throw MPCError(.invalidArgument, "the stored shares '\(part.path)' ended early")
                    }
                    read.withUnsafeBytes { encoded.append(contentsOf: $0) }
                }
                pieces[column].append(try Share(encoded: encoded[...], count: local.count))
            }
        }
        return pieces.map { $0.count == 1 ? $0[0] : Share.concatenate($0) }
    }
}
