import ConsortQuery
import ConsortSpec
import Testing

/// Checking a CSV reports every bad row, not only the first: the first 100 with line, column and reason, then how
/// many in all; and nothing of the file is used.
@Suite("CSV checks")
struct CSVCheckTests {
    @Test("a file with 500 bad rows among good ones lists 100 of them and counts all 500")
    func manyProblems() throws {
        let table = ComputationTaskSpecification.Table(
            name: "people", maxRows: 10_000,
            columns: [
                .init(name: "age", type: .integer(min: 0, max: 120)),
                .init(name: "region", type: .category(values: ["north", "south"])),
            ])
        var lines = ["age,region"]
        for row in 0..<1_000 { lines.append(row % 2 == 0 ? "\(row % 100),north" : "\(200 + row),south") }
        let check = try CSVTable.check(lines.joined(separator: "\n") + "\n", table: table, source: "people.csv")
        #expect(check.total == 500)
        #expect(check.problems.count == 100)
        #expect(check.data == nil)
        // The first problem is the second data row (line 3): 201 is beyond 120, in column 'age'.
        let first = check.problems[0]
        #expect(first.line == 3 && first.column == "age" && first.reason == "201 is outside 0...120")
        #expect(check.problems.map(\.line) == Array(stride(from: 3, through: 201, by: 2)))
        #expect(check.summary.hasPrefix("people.csv: 500 problems, nothing is used:\n  people.csv:3: column 'age': "))
        #expect(check.summary.hasSuffix("… and 490 more"))
    }
}
