import ConsortMPC
import ConsortQuery
import ConsortTesting
import Foundation
import Testing

@Suite("Stored shares read a range of rows at a time")
struct StoredSharesTests {
    @Test("rows across batch files read back as the slices of the shares written, whatever the range")
    func ranges() throws {
        let directory = try Subprocess.temporaryDirectory("consort-stored-shares")
        defer { try? FileManager.default.removeItem(at: directory) }
        let header = ShareEnvelope.Header(
            engine: "replicated3/passive/honest", modulus: "2^64", party: 1, parties: 3,
            task: String(repeating: "ab", count: 32), columns: ["a", "b"], rows: 0)
        // Three batches of 5, 0 and 7 rows: party 1's shares of two columns each.
        var written: [[Replicated3.Share]] = [[], []]
        var files: [String] = []
        for (index, rows) in [5, 0, 7].enumerated() {
            let values = (0..<rows).map { UInt64(100 * index + $0) }
            let shares = [Replicated3.share(values).shares[1], Replicated3.share(values.map { $0 &* 3 }).shares[1]]
            var batch = header
            batch.rows = rows
            let path = "\(directory.path)/batch-\(index).shares"
            try Data(try ShareEnvelope(header: batch, shares: shares).bytes).write(to: URL(fileURLWithPath: path))
            files.append(path)
            for column in 0..<2 { written[column].append(shares[column]) }
        }
        let whole = written.map { Replicated3.Share.concatenate($0) }
        let stored = try StoredShares<Replicated3.Share>(files: files, columns: 2) { _ in }
        #expect(stored.rows == 12)
        for range in [0..<12, 0..<5, 3..<9, 5..<12, 11..<12, 4..<4] {
            #expect(try stored.columns(range) == whole.map { $0.slice(range) }, "\(range)")
        }
        // A header the check refuses, and a file whose payload is short, are refused when opened.
        #expect(throws: MPCError.self) {
            try StoredShares<Replicated3.Share>(files: files, columns: 2) { _ in
                throw MPCError(.invalidArgument, "not this table")
            }
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: files[2]))
        try bytes.dropLast(8).write(to: URL(fileURLWithPath: files[2]))
        let short = try #require(throws: MPCError.self) {
            try StoredShares<Replicated3.Share>(files: files, columns: 2) { _ in }
        }
        #expect(short.message.contains("hold 216 bytes where 7 rows of 2 columns take 224"), "\(short.message)")
    }
}
