/// One input table's rows, column by column, as the plan's scaled integers (decimal × 10^scale, category index,
/// boolean 0/1).
package struct TableData: Sendable, Equatable {
    package var columns: [[Int64]]
    package var rows: Int

    package init(columns: [[Int64]]) {
        self.columns = columns
        self.rows = columns.first?.count ?? 0
    }

    /// The rows in `range`, every column.
    package func rows(_ range: Range<Int>) -> TableData {
        TableData(columns: self.columns.map { Array($0[range]) })
    }

    /// The union of several input parties' rows of one table.
    package static func union(_ parts: [TableData]) -> TableData {
        guard let first = parts.first else { return TableData(columns: []) }
        return TableData(columns: first.columns.indices.map { column in parts.flatMap { $0.columns[column] } })
    }
}
