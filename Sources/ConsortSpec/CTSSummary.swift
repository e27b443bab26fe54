import ConsortPKI
import Foundation

/// A plain-text summary of a CTS for the person about to sign it (`consort cts show`, the node's web UI).
package enum CTSSummary {
    package static func render(
        _ cts: ComputationTaskSpecification, taskID: String?, notes: [String] = [],
        engines: (any EngineSupport)? = nil
    ) -> String {
        var lines: [String] = []
        func line(_ text: String = "") { lines.append(text) }
        let version = cts.version.map { ", version \($0)" } ?? ""
        line("\(cts.title)  (\(cts.id)\(version))")
        if let taskID { line("task id: \(taskID)") }
        line()
        line(Self.wrap(cts.purpose, indent: "", width: 100))
        line()
        line("PARTIES")
        let p = cts.parties
        line("  input       " + p.inputs.map { "\($0.member) (provides \($0.table))" }.joined(separator: ", "))
        line(
            "  output      " + p.outputs.map(\.rawValue).joined(separator: ", ")
                + "  — the only members that receive the result")
        line(
            "  computing   " + p.computing.map(\.rawValue).joined(separator: ", ")
                + "  — hold secret shares and run the computation")
        line("  auditors    " + (p.auditors.isEmpty ? "none" : p.auditors.map(\.rawValue).joined(separator: ", ")))
        line("  may halt    " + (p.mayHalt.isEmpty ? "nobody" : p.mayHalt.map(\.rawValue).joined(separator: ", ")))
        line("  must sign   " + p.requiredSigners.map(\.rawValue).joined(separator: ", "))
        line()
        line("INPUT DATA")
        for table in cts.tables {
            line(
                "  \(table.name)  (at most \(Self.grouped(table.maxRows)) rows in total, from \(p.inputParties(for: table.name).map(\.rawValue).joined(separator: ", ")))"
            )
            let width = table.columns.map(\.name.count).max() ?? 0
            for column in table.columns {
                let name = column.name.padding(toLength: width, withPad: " ", startingAt: 0)
                line(
                    "    \(name)  \(column.type.name.padding(toLength: 8, withPad: " ", startingAt: 0))  \(Self.describe(column.type))\(column.unique ? ", unique (checked under MPC)" : "")\(column.nullable ? ", may be empty (NULL)" : "")"
                )
            }
        }
        line()
        line("QUALITY RULES  (checked under MPC before the query; no one sees the failing rows)")
        if cts.quality.isEmpty { line("  none") }
        for rule in cts.quality {
            let action =
                rule.onFailure == .exclude
                ? "failing rows are excluded; the number excluded is reported with the result"
                : "the task aborts if any row fails"
            line("  \(rule.table).\(rule.name): \(rule.rule)")
            line("      → \(action)")
        }
        line()
        line("QUERY  (consort-sql/1)")
        line(Self.wrap(cts.query, indent: "  ", width: 100))
        line()
        line("OUTPUT")
        line(
            "  released only to \(p.outputs.map(\.rawValue).joined(separator: ", ")), until \(Self.date(cts.deadlines.outputs))"
        )
        line(
            "  groups with fewer than \(cts.disclosure.minGroupSize) contributing rows are suppressed (all their cells null)"
        )
        for note in notes { line("  \(note)") }
        line()
        line("ENGINE")
        line("  \(cts.engine.description)")
        for note in engines?.summary(of: cts.engine) ?? [] { line(Self.wrap(note, indent: "  ", width: 100)) }
        if cts.engine.measurements.isEmpty {
            line("  Builds: any build of consort may compute (no engine.measurements pinned).")
        } else {
            line("  Builds: only these builds of consort may compute (SHA-256 of the binary, engine.measurements):")
            for measurement in cts.engine.measurements { line("    \(measurement)") }
        }
        line()
        line("DEADLINES  (UTC)")
        line("  inputs by      \(Self.date(cts.deadlines.inputs))")
        line("  computed by    \(Self.date(cts.deadlines.compute))")
        line("  outputs until  \(Self.date(cts.deadlines.outputs))")
        line()
        line("RETENTION")
        switch cts.retention.inputs {
        case .purgeAfterCompute:
            line("  input shares are deleted on every computing party as soon as the computation ends")
        case .purgeAfterOutputs:
            line("  input shares are kept until the output deadline, then deleted on every computing party")
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ type: ComputationTaskSpecification.ColumnType) -> String {
        switch type {
        case .integer(let min, let max): return "\(Self.grouped(Int(min))) … \(Self.grouped(Int(max)))"
        case .decimal(let scale, let min, let max):
            return "\(Self.grouped(min)) … \(Self.grouped(max))  (\(scale) decimal\(scale == 1 ? "" : "s"))"
        case .category(let values): return values.joined(separator: " | ")
        case .boolean: return "true | false"
        case .key: return "record-linkage key, never output"
        }
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    static func grouped(_ value: FixedDecimal) -> String {
        let text = value.description
        guard let dot = text.firstIndex(of: ".") else { return Self.grouped(Int(value.units)) }
        let whole = Int(text[..<dot]) ?? 0
        return (text.hasPrefix("-") && whole == 0 ? "-" : "") + Self.grouped(whole) + text[dot...]
    }

    static func date(_ date: Date) -> String {
        let text = DocumentReader.formatTimestamp(date)
        return text.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: ":00Z", with: "")
            .replacingOccurrences(of: "Z", with: "")
    }

    static func wrap(_ text: String, indent: String, width: Int) -> String {
        var lines: [String] = []
        var current = indent
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            if current.count + word.count + 1 > width && current.count > indent.count {
                lines.append(current)
                current = indent
            }
            current += (current.count > indent.count ? " " : "") + word
        }
        if current.count > indent.count { lines.append(current) }
        return lines.joined(separator: "\n")
    }
}
