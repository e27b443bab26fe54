import ConsortPKI
import Foundation

/// Checks across the fields of a CTS that a schema cannot express, collecting every problem with its JSON pointer.
package enum CTSValidator {
    /// Validates `cts` as of `now`. With `members` (the member directory's roles), also checks that every party is an
    /// admitted member holding the role it plays; with `engines`, that this build runs the task's engine.
    package static func validate(
        _ cts: ComputationTaskSpecification,
        now: Date = Date(),
        members: [MemberID: Set<MemberRole>]? = nil,
        engines: (any EngineSupport)? = nil
    ) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        func error(_ pointer: String, _ message: String) { diagnostics.append(Diagnostic(at: pointer, message)) }
        func warning(_ pointer: String, _ message: String) {
            diagnostics.append(Diagnostic(.warning, at: pointer, message))
        }
        let parties = cts.parties

        // Parties: each member at most once per list, in the role the directory granted.
        func checkList(_ list: [MemberID], _ name: String, role: MemberRole?) {
            var seen = Set<MemberID>()
            for (index, member) in list.enumerated() {
                let pointer = name == "mayHalt" ? "/parties/mayHalt/\(index)" : "/parties/\(name)/\(index)/member"
                if !seen.insert(member).inserted {
                    error(pointer, "member \(member) is listed twice in \(name): list each member once")
                }
                if let members, let role {
                    if let granted = members[member] {
                        if !granted.contains(role) {
                            error(
                                pointer,
                                "member \(member) does not hold the role '\(role.rawValue)' in the member directory")
                        }
                    } else {
                        error(pointer, "unknown member \(member): it is not in the member directory")
                    }
                }
            }
        }
        var seenInputs = Set<String>()
        for (index, input) in parties.inputs.enumerated() {
            if !seenInputs.insert("\(input.member)/\(input.table)").inserted {
                error(
                    "/parties/inputs/\(index)",
                    "member \(input.member) is listed twice as input party for table \(input.table)")
            }
            if let members {
                if let granted = members[input.member] {
                    if !granted.contains(.input) {
                        error(
                            "/parties/inputs/\(index)/member",
                            "member \(input.member) does not hold the role 'input' in the member directory")
                    }
                } else {
                    error(
                        "/parties/inputs/\(index)/member",
                        "unknown member \(input.member): it is not in the member directory")
                }
            }
            if cts.table(named: input.table) == nil {
                error(
                    "/parties/inputs/\(index)/table",
                    "input party \(input.member) provides table \"\(input.table)\", which /tables does not define")
            }
        }
        checkList(parties.outputs, "outputs", role: .output)
        checkList(parties.computing, "computing", role: .compute)
        checkList(parties.auditors, "auditors", role: .auditor)
        checkList(parties.mayHalt, "mayHalt", role: nil)
        if parties.outputs.isEmpty {
            error("/parties/outputs", "a task needs at least one output party to receive the result")
        }
        let allMembers = parties.allMembers
        for (index, member) in parties.mayHalt.enumerated() where !allMembers.contains(member) {
            error("/parties/mayHalt/\(index)", "mayHalt names \(member), which is not a party of this task")
        }

        // Tables and columns.
        for table in cts.tables {
            let pointer = DocumentReader.pointer("/tables", table.name)
            if parties.inputParties(for: table.name).isEmpty {
                error(
                    pointer,
                    "table \"\(table.name)\" has no input party: add one to /parties/inputs or remove the table")
            }
            var columnNames = Set<String>()
            for (index, column) in table.columns.enumerated() {
                let columnPointer = "\(pointer)/columns/\(index)"
                if !columnNames.insert(column.name).inserted {
                    error(columnPointer + "/name", "column \"\(column.name)\" is defined twice in table \(table.name)")
                }
                switch column.type {
                case .integer(let min, let max) where min > max:
                    error(columnPointer, "min (\(min)) is greater than max (\(max))")
                case .decimal(_, let min, let max) where min > max:
                    error(columnPointer, "min (\(min)) is greater than max (\(max))")
                case .category(let values):
                    var seen = Set<String>()
                    for (valueIndex, value) in values.enumerated() where !seen.insert(value).inserted {
                        error("\(columnPointer)/values/\(valueIndex)", "category value \"\(value)\" appears twice")
                    }
                default:
                    break
                }
            }
            if table.columns.allSatisfy({ $0.type == .key }) {
                error(
                    pointer + "/columns",
                    "table \"\(table.name)\" has only key columns, so nothing can be computed from it")
            }
        }

        // Quality rules.
        var ruleNames = Set<String>()
        for (index, rule) in cts.quality.enumerated() {
            if cts.table(named: rule.table) == nil {
                error(
                    "/quality/\(index)/table",
                    "quality rule \"\(rule.name)\" names table \"\(rule.table)\", which /tables does not define")
            }
            if !ruleNames.insert("\(rule.table)/\(rule.name)").inserted {
                error(
                    "/quality/\(index)/name", "quality rule \"\(rule.name)\" is defined twice for table \(rule.table)")
            }
        }

        // Engine: its party count is the CTS's, and this build must run it.
        if cts.engine.parties != parties.computing.count {
            error(
                "/engine",
                "the engine is described for \(cts.engine.parties) computing parties, the CTS names \(parties.computing.count)"
            )
        } else if let problem = engines?.diagnostic(for: cts.engine) {
            diagnostics.append(problem)
        }

        // Deadlines: in order and ahead.
        let deadlines = cts.deadlines
        if deadlines.inputs >= deadlines.compute {
            error("/deadlines/compute", "the compute deadline must be after the input deadline")
        }
        if deadlines.compute >= deadlines.outputs {
            error("/deadlines/outputs", "the output deadline must be after the compute deadline")
        }
        if deadlines.inputs <= now {
            error(
                "/deadlines/inputs",
                "the input deadline \(DocumentReader.formatTimestamp(deadlines.inputs)) has passed: "
                    + "set new deadlines and sign again")
        }

        if cts.disclosure.minGroupSize < 3 {
            warning(
                "/disclosure/minGroupSize",
                "groups of fewer than 3 rows can disclose individual records; 5 or more is usual")
        }
        return diagnostics
    }
}
