import ConsortMPC
import ConsortSpec
import Foundation

/// Synthetic rows that satisfy a table's data model, for dry runs and benchmarks: uniform within each column's
/// range (deterministic for a seed; not a CSPRNG — these are not secrets).
package enum DataSynth {
    package static func csv(table: ComputationTaskSpecification.Table, rows: Int, seed: UInt64) throws -> String {
        guard rows >= 0, rows <= table.maxRows else {
            throw QueryError(.invalidData, "--rows must be 0...\(table.maxRows) (the table's maxRows)")
        }
        var generator = SplitMix64(seed: seed)
        var lines = [table.columns.map(\.name).joined(separator: ",")]
        lines.reserveCapacity(rows + 1)
        for row in 0..<rows {
            lines.append(
                table.columns.map { column -> String in
                    // About one value in ten of a nullable column is missing.
                    if column.nullable, Int.random(in: 0..<10, using: &generator) == 0 { return "" }
                    switch column.type {
                    case .integer(let min, let max): return String(Int64.random(in: min...max, using: &generator))
                    case .decimal(let scale, let min, let max):
                        return FixedDecimal(
                            units: Int64.random(in: min.rescaled(scale)...max.rescaled(scale), using: &generator),
                            scale: scale
                        ).description
                    case .category(let values): return values.randomElement(using: &generator)!
                    case .boolean: return Bool.random(using: &generator) ? "true" : "false"
                    case .key:
                        // A unique key is the row number; others are drawn from as many values as there are rows.
                        return column.unique
                            ? "k\(row)" : "k\(Int.random(in: 0..<max(rows, 1), using: &generator))"
                    }
                }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
