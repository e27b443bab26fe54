/// What checking a CSV against its table found: every problem counted, the first `limit` kept (line, column, reason),
/// and the rows only when there is none — a file is used whole or not at all.
package struct CSVCheck: Sendable {
    package struct Problem: Sendable, Equatable {
        /// 1-based line of the record (of its first line, for a quoted field over several); nil for the whole file.
        package var line: Int?
        package var column: String?
        package var reason: String
    }

    package var source: String
    package var limit: Int
    package var problems: [Problem] = []
    /// Every problem, also those beyond `limit`.
    package var total = 0
    package var data: TableData?

    init(source: String, limit: Int) {
        self.source = source
        self.limit = limit
    }

    mutating func add(_ problem: Problem) {
        self.total += 1
        if self.problems.count < self.limit { self.problems.append(problem) }
    }

    /// `source:line: column 'c': reason` — the form every tool prints.
    package func describe(_ problem: Problem) -> String {
        var text = self.source
        if let line = problem.line { text += ":\(line)" }
        text += ": "
        if let column = problem.column { text += "column '\(column)': " }
        return text + problem.reason
    }

    /// The first problem alone when it is the only one; otherwise how many, then the first ones listed.
    package var summary: String {
        guard self.total > 1 else { return self.problems.first.map(self.describe) ?? "\(self.source): no problem" }
        let shown = self.problems.prefix(10).map { "  " + self.describe($0) }.joined(separator: "\n")
        let more = self.total > 10 ? "\n  … and \(self.total - 10) more" : ""
        return "\(self.source): \(self.total) problems, nothing is used:\n\(shown)\(more)"
    }
}
