import ConsortSpec
import Crypto

/// How a record-linkage key is stored and shared: its text (1 to 32 ASCII letters and digits, compared exactly as
/// written) hashed with SHA-256 under a domain label, the first 96 bits kept as three 32-bit words. Keys are equal
/// under MPC when all three words are; two distinct keys among n collide with probability at most n²/2^97 (below
/// 2^-44 for 10^8 keys). 32-bit words leave the engine's sort room for the row index of up to 2^30 rows.
package enum KeyEncoding {
    package static let words = 3
    package static let wordBits = 32
    package static let maximumLength = 32

    /// Whether `text` is a key: 1 to 32 characters, each an ASCII letter or digit.
    static func isValid(_ text: String) -> Bool {
        let bytes = text.utf8
        return (1...Self.maximumLength).contains(bytes.count)
            && bytes.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
    }

    /// The three words of a valid key, each in [0, 2^32).
    static func encode(_ text: String) -> [Int64] {
        var hasher = SHA256()
        hasher.update(data: Array("consort-key/1\u{0}".utf8))
        hasher.update(data: Array(text.utf8))
        let digest = Array(hasher.finalize())
        return (0..<Self.words).map { word in
            digest[4 * word..<4 * word + 4].reduce(Int64(0)) { $0 << 8 | Int64($1) }
        }
    }
}

extension ComputationTaskSpecification.Table {
    /// The columns as stored and shared: each column in order (a key's first word in its place), then the other
    /// words of each key in column order, named `column#1`, `column#2`.
    package var storedColumnNames: [String] {
        self.columns.map(\.name)
            + self.columns.filter { $0.type == .key }.flatMap { key in
                (1..<KeyEncoding.words).map { "\(key.name)#\($0)" }
            }
    }

    /// The stored columns holding the words of key column `column`, first word first.
    func keyWords(of column: Int) -> [Int] {
        let keysBefore = self.columns[..<column].filter { $0.type == .key }.count
        let extra = self.columns.count + keysBefore * (KeyEncoding.words - 1)
        return [column] + (extra..<extra + KeyEncoding.words - 1)
    }
}
