import ConsortPKI
import Foundation

/// A Computation Task Specification (`cts/1`, docs/architecture.md §2): the contract every member signs before any data moves.
///
/// Built only by `CTSReader` from bytes the strict reader accepted, so every field has passed the shape checks of
/// `Specs/cts.schema.json`; `CTSValidator` adds the checks across fields.
package struct ComputationTaskSpecification: Hashable, Sendable {
    package static let formatVersion = "cts/1"

    package var id: String
    package var title: String
    package var purpose: String
    /// Revision of this task's specification, if the drafters number them.
    package var version: Int?
    package var parties: Parties
    /// Input tables, in document order. Their keys share one layout, sized by all of them together.
    package var tables: [Table] { didSet { self.alignKeyLayouts() } }
    package var quality: [QualityRule]
    package var query: String
    package var disclosure: Disclosure
    package var engine: EngineDescriptor
    package var deadlines: Deadlines
    package var retention: Retention

    package func table(named name: String) -> Table? { self.tables.first { $0.name == name } }

    package init(
        id: String, title: String, purpose: String, version: Int?, parties: Parties, tables: [Table],
        quality: [QualityRule], query: String, disclosure: Disclosure, engine: EngineDescriptor,
        deadlines: Deadlines, retention: Retention
    ) {
        self.id = id
        self.title = title
        self.purpose = purpose
        self.version = version
        self.parties = parties
        self.tables = tables
        self.quality = quality
        self.query = query
        self.disclosure = disclosure
        self.engine = engine
        self.deadlines = deadlines
        self.retention = retention
        self.alignKeyLayouts()
    }

    /// Every table's keys in the layout for all the tables' rows, so that any two tables' keys can be joined.
    private mutating func alignKeyLayouts() {
        let layout = KeyLayout(rows: self.tables.map(\.maxRows).reduce(0, +))
        guard self.tables.contains(where: { $0.keyLayout != layout }) else { return }
        // One assignment: its didSet finds every layout aligned and stops.
        self.tables = self.tables.map { table in
            var table = table
            table.keyLayout = layout
            return table
        }
    }
}

extension ComputationTaskSpecification {
    /// Who takes part, and in which role.
    package struct Parties: Hashable, Sendable {
        package var inputs: [InputParty]
        package var outputs: [MemberID]
        package var computing: [MemberID]
        package var auditors: [MemberID]
        package var mayHalt: [MemberID]

        /// Every member named in any role.
        package var allMembers: Set<MemberID> {
            Set(self.inputs.map(\.member) + self.outputs + self.computing + self.auditors)
        }

        /// Members whose signature the CTS needs before it is in force: every input, output and computing party.
        package var requiredSigners: [MemberID] {
            var seen = Set<MemberID>()
            return (self.inputs.map(\.member) + self.outputs + self.computing).filter { seen.insert($0).inserted }
        }

        /// Members that may sign (required signers and auditors).
        package var permittedSigners: Set<MemberID> { self.allMembers }

        /// The input parties that provide `table`.
        package func inputParties(for table: String) -> [MemberID] {
            self.inputs.filter { $0.table == table }.map(\.member)
        }
    }

    /// One input party and the table it provides.
    package struct InputParty: Hashable, Sendable {
        package var member: MemberID
        package var table: String
    }

    /// An input table's data model.
    package struct Table: Hashable, Sendable {
        package var name: String
        package var maxRows: Int
        package var columns: [Column]
        /// How its key columns are stored (set for the whole CTS by `ComputationTaskSpecification`).
        package var keyLayout: KeyLayout

        package init(name: String, maxRows: Int, columns: [Column]) {
            self.name = name
            self.maxRows = maxRows
            self.columns = columns
            self.keyLayout = KeyLayout(rows: maxRows)
        }

        package func column(named name: String) -> Column? { self.columns.first { $0.name == name } }
    }

    /// One column with its type and public range.
    package struct Column: Hashable, Sendable {
        package var name: String
        package var type: ColumnType
        /// For a key: no two rows of the table share a value (checked under MPC; a duplicate aborts the task).
        package var unique: Bool
        /// Not a key: an empty CSV cell is NULL (stored with a presence bit), and SQL's NULL rules apply.
        package var nullable: Bool

        package init(name: String, type: ColumnType, unique: Bool = false, nullable: Bool = false) {
            self.name = name
            self.type = type
            self.unique = unique
            self.nullable = nullable
        }
    }

    /// Column types (docs/architecture.md §2).
    package enum ColumnType: Hashable, Sendable {
        case integer(min: Int64, max: Int64)
        case decimal(scale: Int, min: FixedDecimal, max: FixedDecimal)
        case category(values: [String])
        case boolean
        /// An identifier used only for record linkage; never output.
        case key

        package var name: String {
            switch self {
            case .integer: return "integer"
            case .decimal: return "decimal"
            case .category: return "category"
            case .boolean: return "boolean"
            case .key: return "key"
            }
        }
    }

    /// A data-quality rule evaluated under MPC before the query.
    package struct QualityRule: Hashable, Sendable {
        package var table: String
        package var name: String
        package var rule: String
        package var onFailure: OnFailure

        package init(table: String, name: String, rule: String, onFailure: OnFailure) {
            self.table = table
            self.name = name
            self.rule = rule
            self.onFailure = onFailure
        }

        package enum OnFailure: String, Hashable, Sendable, CaseIterable {
            /// Drop failing rows; their count per table is part of the output.
            case exclude
            /// Abort the task if any row fails.
            case abort
        }
    }

    /// Output disclosure control.
    package struct Disclosure: Hashable, Sendable {
        /// Groups with fewer contributing rows are suppressed (all their cells null).
        package var minGroupSize: Int

        package init(minGroupSize: Int) { self.minGroupSize = minGroupSize }
    }

    /// Deadlines; each is an instant in UTC.
    package struct Deadlines: Hashable, Sendable {
        package var inputs: Date
        package var compute: Date
        package var outputs: Date

        package init(inputs: Date, compute: Date, outputs: Date) {
            self.inputs = inputs
            self.compute = compute
            self.outputs = outputs
        }
    }

    /// What happens to input shares.
    package struct Retention: Hashable, Sendable {
        package var inputs: InputRetention

        package enum InputRetention: String, Hashable, Sendable, CaseIterable {
            /// Input shares are deleted as soon as the computation ends (or the task is halted, expires or aborts).
            case purgeAfterCompute = "purge-after-compute"
            /// Input shares are kept until the output deadline, then deleted.
            case purgeAfterOutputs = "purge-after-outputs"
        }
    }
}
