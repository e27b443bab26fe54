import ConsortSpec
import Foundation

/// A query's result as delivered to output parties (docs/architecture.md §2): columns, rows (nil cells are NULL: a
/// suppressed or empty aggregate, or the NULL group's label), the number of suppressed groups and the rows each table
/// lost to `exclude` quality rules.
package struct QueryResult: Sendable, Equatable {
    package var columns: [String]
    package var types: [String]
    package var rows: [[ResultValue?]]
    package var suppressed: Int
    package var excludedRows: [String: Int]
    /// The columns that are GROUP BY keys (a nil there labels the NULL group, not a suppressed cell).
    package var groupColumns: Set<Int>

    package init(
        columns: [String], types: [String], rows: [[ResultValue?]], suppressed: Int, excludedRows: [String: Int],
        groupColumns: Set<Int> = []
    ) {
        self.columns = columns
        self.types = types
        self.rows = rows
        self.suppressed = suppressed
        self.excludedRows = excludedRows
        self.groupColumns = groupColumns
    }

    /// An empty result with the plan's columns.
    init(plan: QueryPlan, excludedRows: [String: Int]) {
        self.init(
            columns: plan.outputs.map(\.name), types: plan.outputs.map(\.type), rows: [], suppressed: 0,
            excludedRows: excludedRows, groupColumns: Set(plan.outputs.indices.filter { plan.outputs[$0].isGroup }))
    }

    /// The JSON result format of docs/architecture.md §2.
    package func json() -> String {
        func cell(_ value: ResultValue?) -> JSONValue {
            switch value {
            case nil: return .null
            case .integer(let v): return .number(JSONNumber(v))
            case .decimal(let units, let scale):
                return .number(
                    JSONNumber(
                        text: FixedDecimal(units: units, scale: scale).description,
                        double: Double(units) / pow10(scale), integer: nil))
            case .real(let v): return .number(JSONNumber(text: Self.format(v), double: v, integer: nil))
            case .text(let v): return .string(v)
            case .boolean(let v): return .bool(v)
            }
        }
        let document: JSONValue = .object(
            JSONObject([
                ("columns", .array(self.columns.map { .string($0) })),
                ("rows", .array(self.rows.map { .array($0.map(cell)) })),
                ("suppressed", .number(JSONNumber(Int64(self.suppressed)))),
                (
                    "excludedRows",
                    .object(
                        JSONObject(
                            self.excludedRows.sorted { $0.key < $1.key }.map {
                                ($0.key, .number(JSONNumber(Int64($0.value))))
                            }))
                ),
            ]))
        return String(decoding: JSONWriter.write(document), as: UTF8.self)
    }

    package func csv() -> String {
        func quoted(_ text: String) -> String {
            text.contains(where: { ",\"\r\n".contains($0) })
                ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        var lines = [self.columns.map(quoted).joined(separator: ",")]
        for row in self.rows { lines.append(row.map { $0.map { quoted(Self.text($0)) } ?? "" }.joined(separator: ",")) }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    package func table() -> String {
        let cells =
            [self.columns]
            + self.rows.map { row in
                row.indices.map { row[$0].map(Self.text) ?? (self.groupColumns.contains($0) ? "NULL" : "(suppressed)") }
            }
        let widths = self.columns.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        var lines = cells.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        lines.insert(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "), at: 1)
        lines.append(
            "\(self.suppressed) group(s) suppressed; excluded rows: "
                + (self.excludedRows.isEmpty
                    ? "none"
                    : self.excludedRows.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                        separator: ", ")))
        return lines.joined(separator: "\n")
    }

    package static func text(_ value: ResultValue) -> String {
        if case .real(let v) = value { return Self.format(v) }
        return value.description
    }

    /// Reals with 12 significant digits: the engines agree with PostgreSQL to about 1e-9 relative, not beyond.
    static func format(_ value: Double) -> String {
        String(format: "%.12g", value)
    }
}
