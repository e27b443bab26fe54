/// How a task stores each record-linkage key: `words` ring elements of `wordBits` bits, cut from a SHA-256 of the
/// key (`KeyEncoding`). Sized by the most rows an oblivious sort of the task can hold (every table's maxRows
/// together, at most 2^b): a key keeps at least 2b + 40 bits, so two distinct keys among those rows collide with
/// probability below 2^-41 (10^6 rows: 2 words of 42 bits; 10^8 rows: 3 words of 35 bits), and each word leaves the
/// sort room for the b bits of the row index it appends (word + index ≤ 62 bits).
package struct KeyLayout: Hashable, Sendable {
    package var words: Int
    package var wordBits: Int

    /// The layout for sorts of at most `rows` rows.
    package init(rows: Int) {
        let indexBits = max(1, Int.bitWidth - (max(rows, 2) - 1).leadingZeroBitCount)
        let keyBits = 2 * indexBits + 40
        self.wordBits = 62 - indexBits
        self.words = (keyBits + self.wordBits - 1) / self.wordBits
    }

    package init(words: Int, wordBits: Int) {
        self.words = words
        self.wordBits = wordBits
    }

    /// The bits a key keeps.
    package var keyBits: Int { self.words * self.wordBits }
}
