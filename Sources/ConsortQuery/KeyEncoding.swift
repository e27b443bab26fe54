import ConsortSpec
import Crypto

/// How a record-linkage key is stored and shared: its text (1 to 32 ASCII letters and digits, compared exactly as
/// written) hashed with SHA-256 under a domain label, cut into the task's `KeyLayout` (its words are the digest's
/// first bits, most significant first). Keys are equal under MPC when all their words are.
package enum KeyEncoding {
    package static let maximumLength = 32

    /// Whether `text` is a key: 1 to 32 characters, each an ASCII letter or digit.
    static func isValid(_ text: String) -> Bool {
        let bytes = text.utf8
        return (1...Self.maximumLength).contains(bytes.count)
            && bytes.allSatisfy { (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
    }

    /// The words of a valid key, each in [0, 2^wordBits).
    static func encode(_ text: String, _ layout: KeyLayout) -> [Int64] {
        var hasher = SHA256()
        hasher.update(data: Array("consort-key/1\u{0}".utf8))
        hasher.update(data: Array(text.utf8))
        let digest = Array(hasher.finalize())
        func bit(_ index: Int) -> Int64 { Int64(digest[index >> 3] >> (7 - UInt8(index & 7)) & 1) }
        return (0..<layout.words).map { word in
            (0..<layout.wordBits).reduce(Int64(0)) { $0 << 1 | bit(word * layout.wordBits + $1) }
        }
    }
}

extension ComputationTaskSpecification.Table {
    /// The columns as stored and shared: each column in order (a key's first word in its place), then the other
    /// words of each key in column order, named `column#1`, `column#2`, …, then the presence bit of each nullable
    /// column (1: a value, 0: NULL), named `column#present`.
    package var storedColumnNames: [String] {
        self.columns.map(\.name)
            + self.columns.filter { $0.type == .key }.flatMap { key in
                (1..<self.keyLayout.words).map { "\(key.name)#\($0)" }
            }
            + self.columns.filter(\.nullable).map { "\($0.name)#present" }
    }

    /// The stored column of nullable column `column`'s presence bits; nil if it cannot be NULL.
    package func presence(of column: Int) -> Int? {
        guard self.columns[column].nullable else { return nil }
        let keys = self.columns.filter { $0.type == .key }.count
        return self.columns.count + keys * (self.keyLayout.words - 1)
            + self.columns[..<column].filter(\.nullable).count
    }

    /// The stored columns holding the words of key column `column`, first word first.
    func keyWords(of column: Int) -> [Int] {
        let keysBefore = self.columns[..<column].filter { $0.type == .key }.count
        let extra = self.columns.count + keysBefore * (self.keyLayout.words - 1)
        return [column] + (extra..<extra + self.keyLayout.words - 1)
    }
}
