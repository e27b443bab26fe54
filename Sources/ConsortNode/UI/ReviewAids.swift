import ConsortQuery
import ConsortSpec
import Foundation

/// What helps a signer beyond the CTS itself: what changed since the version before (a line diff), and the query run
/// in plaintext on synthetic rows of the declared data model (to see the shape of the result, never real data).
enum ReviewAids {
    struct Line {
        enum Kind: String { case same, added, removed, gap }
        var kind: Kind
        var text: String
    }

    /// The lines of `new` against `old`: removed, added, and two lines of context around each change; a gap stands
    /// for unchanged lines left out.
    static func diff(_ old: String, _ new: String, context: Int = 2) -> [Line] {
        let before = old.components(separatedBy: "\n")
        let after = new.components(separatedBy: "\n")
        let changes = after.difference(from: before)
        var removed = Set<Int>()
        var added = Set<Int>()
        for change in changes {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): added.insert(offset)
            }
        }
        var merged: [Line] = []
        var (i, j) = (0, 0)
        while i < before.count || j < after.count {
            if i < before.count, removed.contains(i) {
                merged.append(Line(kind: .removed, text: before[i]))
                i += 1
            } else if j < after.count, added.contains(j) {
                merged.append(Line(kind: .added, text: after[j]))
                j += 1
            } else {
                merged.append(Line(kind: .same, text: j < after.count ? after[j] : before[i]))
                i += 1
                j += 1
            }
        }
        let near = Set(
            merged.indices.filter { merged[$0].kind != .same }.flatMap { ($0 - context)...($0 + context) })
        var shown: [Line] = []
        for (index, line) in merged.enumerated() {
            if near.contains(index) {
                shown.append(line)
            } else if shown.last?.kind != .gap {
                shown.append(Line(kind: .gap, text: "…"))
            }
        }
        return shown
    }

    /// The query's result on `rows` synthetic rows of each table it reads (a fixed seed: the same every time), as text; or why
    /// it cannot run.
    static func dryRun(_ cts: ComputationTaskSpecification, rows: Int = 1_000) -> String {
        do {
            let plan = try QueryChecker.check(cts)
            let inputs = try plan.inputs.map { input in
                try CSVTable.parse(
                    try DataSynth.csv(table: input.table, rows: min(rows, input.table.maxRows), seed: 7),
                    table: input.table)
            }
            return try PlainEngine.run(plan, on: inputs).table()
        } catch {
            return "The query cannot run on the declared model: \(error)"
        }
    }
}
