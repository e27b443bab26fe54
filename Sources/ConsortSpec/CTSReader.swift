import ConsortPKI
import Foundation

/// Reads a CTS from strictly parsed JSON into the model, checking every field's shape (the rules of
/// `Specs/cts.schema.json`) and reporting every problem with its JSON pointer.
package enum CTSReader {
    /// Limits shared with the schema.
    package enum Limits {
        package static let maxRows: Int64 = 100_000_000
        package static let categoryValues = 1...1000
        package static let columns = 1...200
        package static let decimalScale: Int64 = 6
        package static let partiesPerList = 0...100
        package static let queryLength = 1...20_000
    }

    /// Reads `value`; returns the CTS if it has the right shape, with the diagnostics either way.
    package static func read(_ value: JSONValue) -> (ComputationTaskSpecification?, [Diagnostic]) {
        let reader = DocumentReader()
        let cts = Self.read(value, reader)
        return (reader.diagnostics.isEmpty ? cts : nil, reader.diagnostics)
    }

    private static func read(_ value: JSONValue, _ r: DocumentReader) -> ComputationTaskSpecification? {
        guard
            let root = r.object(
                value, at: "",
                required: [
                    "consort", "id", "title", "purpose", "parties", "tables", "query", "disclosure", "engine",
                    "deadlines", "retention",
                ],
                optional: ["version", "quality"]
            )
        else { return nil }
        if let format = r.string(root["consort"], at: "/consort", length: 1...16),
            format != ComputationTaskSpecification.formatVersion
        {
            r.error(
                "/consort",
                "\"\(format)\" is not a supported format: use \"\(ComputationTaskSpecification.formatVersion)\"")
        }
        let id = r.string(
            root["id"], at: "/id", length: 1...64, rule: Names.isTaskID,
            ruleDescription: "is not a valid task id: use lowercase letters, digits and '-'")
        let title = r.string(root["title"], at: "/title", length: 1...200)
        let purpose = r.string(root["purpose"], at: "/purpose", length: 1...4000)
        let version = root["version"].flatMap { r.integer($0, at: "/version", range: 1...1_000_000) }
        let parties = Self.parties(root["parties"], r)
        let tables = Self.tables(root["tables"], r)
        let quality = Self.quality(root["quality"], r)
        let query = r.string(root["query"], at: "/query", length: Limits.queryLength)
        let disclosure = r.object(root["disclosure"], at: "/disclosure", required: ["minGroupSize"]).flatMap {
            r.integer($0["minGroupSize"], at: "/disclosure/minGroupSize", range: 1...1_000_000)
        }
        let engine = Self.engine(root["engine"], parties: parties?.computing.count ?? 0, r)
        let deadlines = Self.deadlines(root["deadlines"], r)
        let retention = r.object(root["retention"], at: "/retention", required: ["inputs"]).flatMap {
            r.oneOf(
                $0["inputs"], at: "/retention/inputs",
                ComputationTaskSpecification.Retention.InputRetention.allCases.map(\.rawValue))
        }
        guard let id, let title, let purpose, let parties, let tables, let quality, let query, let disclosure,
            let engine,
            let deadlines, let retention,
            let inputRetention = ComputationTaskSpecification.Retention.InputRetention(rawValue: retention)
        else { return nil }
        return ComputationTaskSpecification(
            id: id, title: title, purpose: purpose, version: version.map(Int.init), parties: parties, tables: tables,
            quality: quality, query: query, disclosure: .init(minGroupSize: Int(disclosure)), engine: engine,
            deadlines: deadlines, retention: .init(inputs: inputRetention)
        )
    }

    private static func member(_ value: JSONValue?, at pointer: String, _ r: DocumentReader) -> MemberID? {
        r.string(
            value, at: pointer, length: 1...63, rule: MemberID.isValid,
            ruleDescription: "is not a member id: use a DNS label such as \"nso-north\""
        ).flatMap { try? MemberID($0) }
    }

    private static func memberList(_ value: JSONValue?, at pointer: String, _ r: DocumentReader) -> [MemberID]? {
        guard let elements = r.array(value, at: pointer, count: Limits.partiesPerList) else { return nil }
        var result: [MemberID] = []
        var ok = true
        for (index, element) in elements.enumerated() {
            let elementPointer = DocumentReader.pointer(pointer, index)
            guard let object = r.object(element, at: elementPointer, required: ["member"]),
                let member = Self.member(object["member"], at: elementPointer + "/member", r)
            else { ok = false; continue }
            result.append(member)
        }
        return ok ? result : nil
    }

    private static func parties(_ value: JSONValue?, _ r: DocumentReader) -> ComputationTaskSpecification.Parties? {
        guard
            let object = r.object(
                value, at: "/parties", required: ["inputs", "outputs", "computing", "auditors", "mayHalt"])
        else {
            return nil
        }
        var inputs: [ComputationTaskSpecification.InputParty]? = []
        if let elements = r.array(object["inputs"], at: "/parties/inputs", count: 1...100) {
            for (index, element) in elements.enumerated() {
                let pointer = "/parties/inputs/\(index)"
                guard let entry = r.object(element, at: pointer, required: ["member", "table"]),
                    let member = Self.member(entry["member"], at: pointer + "/member", r),
                    let table = r.string(
                        entry["table"], at: pointer + "/table", length: 1...63, rule: Names.isIdentifier,
                        ruleDescription: "is not a table name: use [a-z_][a-z0-9_]*")
                else { inputs = nil; continue }
                inputs?.append(.init(member: member, table: table))
            }
        } else {
            inputs = nil
        }
        let outputs = Self.memberList(object["outputs"], at: "/parties/outputs", r)
        let computing = Self.memberList(object["computing"], at: "/parties/computing", r)
        let auditors = Self.memberList(object["auditors"], at: "/parties/auditors", r)
        var mayHalt: [MemberID]? = []
        if let elements = r.array(object["mayHalt"], at: "/parties/mayHalt", count: Limits.partiesPerList) {
            for (index, element) in elements.enumerated() {
                guard let member = Self.member(element, at: "/parties/mayHalt/\(index)", r) else {
                    mayHalt = nil; continue
                }
                mayHalt?.append(member)
            }
        } else {
            mayHalt = nil
        }
        guard let inputs, let outputs, let computing, let auditors, let mayHalt else { return nil }
        return .init(inputs: inputs, outputs: outputs, computing: computing, auditors: auditors, mayHalt: mayHalt)
    }

    private static func tables(_ value: JSONValue?, _ r: DocumentReader) -> [ComputationTaskSpecification.Table]? {
        guard let object = r.object(value, at: "/tables", required: [], optional: value?.objectValue?.keys ?? []) else {
            return nil
        }
        if object.members.isEmpty { r.error("/tables", "must define at least one input table") }
        var tables: [ComputationTaskSpecification.Table]? = []
        for (name, tableValue) in object.members {
            let pointer = DocumentReader.pointer("/tables", name)
            if !Names.isIdentifier(name) {
                r.error(pointer, "\"\(name.prefix(80))\" is not a table name: use [a-z_][a-z0-9_]*")
                tables = nil
                continue
            }
            guard let table = r.object(tableValue, at: pointer, required: ["maxRows", "columns"]),
                let maxRows = r.integer(table["maxRows"], at: pointer + "/maxRows", range: 1...Limits.maxRows),
                let columnValues = r.array(table["columns"], at: pointer + "/columns", count: Limits.columns)
            else { tables = nil; continue }
            var columns: [ComputationTaskSpecification.Column]? = []
            for (index, columnValue) in columnValues.enumerated() {
                guard let column = Self.column(columnValue, at: "\(pointer)/columns/\(index)", r) else {
                    columns = nil; continue
                }
                columns?.append(column)
            }
            guard let columns else { tables = nil; continue }
            tables?.append(.init(name: name, maxRows: Int(maxRows), columns: columns))
        }
        return tables
    }

    private static func column(_ value: JSONValue, at pointer: String, _ r: DocumentReader)
        -> ComputationTaskSpecification.Column?
    {
        let type = value["type"]?.stringValue
        let optional: [String]
        switch type {
        case "integer": optional = ["min", "max"]
        case "decimal": optional = ["scale", "min", "max"]
        case "category": optional = ["values"]
        default: optional = []
        }
        let required = ["name", "type"] + optional
        guard
            let object = r.object(
                value, at: pointer, required: required, optional: type == "key" ? ["unique"] : ["nullable"]),
            let name = r.string(
                object["name"], at: pointer + "/name", length: 1...63, rule: Names.isIdentifier,
                ruleDescription: "is not a column name: use [a-z_][a-z0-9_]*"),
            let typeName = r.oneOf(
                object["type"], at: pointer + "/type", ["integer", "decimal", "category", "boolean", "key"])
        else { return nil }
        guard let nullable = Self.flag(object["nullable"], at: pointer + "/nullable", r),
            var column = Self.typedColumn(name, typeName, object, at: pointer, r)
        else { return nil }
        column.nullable = nullable
        return column
    }

    private static func typedColumn(
        _ name: String, _ typeName: String, _ object: JSONObject, at pointer: String, _ r: DocumentReader
    ) -> ComputationTaskSpecification.Column? {
        switch typeName {
        case "integer":
            let bound = -StrictJSONReader.maximumSafeInteger...StrictJSONReader.maximumSafeInteger
            guard let min = r.integer(object["min"], at: pointer + "/min", range: bound),
                let max = r.integer(object["max"], at: pointer + "/max", range: bound)
            else { return nil }
            return .init(name: name, type: .integer(min: min, max: max))
        case "decimal":
            guard let scale = r.integer(object["scale"], at: pointer + "/scale", range: 0...Limits.decimalScale) else {
                return nil
            }
            let min = Self.decimal(object["min"], at: pointer + "/min", scale: Int(scale), r)
            let max = Self.decimal(object["max"], at: pointer + "/max", scale: Int(scale), r)
            guard let min, let max else { return nil }
            return .init(name: name, type: .decimal(scale: Int(scale), min: min, max: max))
        case "category":
            guard let elements = r.array(object["values"], at: pointer + "/values", count: Limits.categoryValues) else {
                return nil
            }
            var values: [String]? = []
            for (index, element) in elements.enumerated() {
                guard let text = r.string(element, at: "\(pointer)/values/\(index)", length: 1...64) else {
                    values = nil; continue
                }
                values?.append(text)
            }
            return values.map { .init(name: name, type: .category(values: $0)) }
        case "boolean":
            return .init(name: name, type: .boolean)
        default:
            guard let unique = Self.flag(object["unique"], at: pointer + "/unique", r) else { return nil }
            return .init(name: name, type: .key, unique: unique)
        }
    }

    /// An optional true/false member (false when absent); nil, with the error recorded, when it is anything else.
    private static func flag(_ value: JSONValue?, at pointer: String, _ r: DocumentReader) -> Bool? {
        guard let value else { return false }
        guard case .bool(let flag) = value else {
            r.error(pointer, "must be true or false, not \(value.kindName)")
            return nil
        }
        return flag
    }

    private static func decimal(_ value: JSONValue?, at pointer: String, scale: Int, _ r: DocumentReader)
        -> FixedDecimal?
    {
        guard let value else { return nil }
        guard case .number(let number) = value else {
            r.error(pointer, "must be a number, not \(value.kindName)")
            return nil
        }
        guard let decimal = FixedDecimal(parsing: number.text, scale: scale) else {
            r.error(
                pointer,
                "\(number.text) must be a plain decimal with at most \(scale) digits after the point, "
                    + "within ±\(FixedDecimal(units: FixedDecimal.maximumUnits, scale: scale))")
            return nil
        }
        return decimal
    }

    private static func quality(_ value: JSONValue?, _ r: DocumentReader) -> [ComputationTaskSpecification.QualityRule]?
    {
        guard let value else { return [] }
        guard let elements = r.array(value, at: "/quality", count: 0...200) else { return nil }
        var rules: [ComputationTaskSpecification.QualityRule]? = []
        for (index, element) in elements.enumerated() {
            let pointer = "/quality/\(index)"
            guard let object = r.object(element, at: pointer, required: ["table", "name", "rule", "onFailure"]),
                let table = r.string(
                    object["table"], at: pointer + "/table", length: 1...63, rule: Names.isIdentifier,
                    ruleDescription: "is not a table name"),
                let name = r.string(
                    object["name"], at: pointer + "/name", length: 1...63, rule: Names.isIdentifier,
                    ruleDescription: "is not a rule name: use [a-z_][a-z0-9_]*"),
                let rule = r.string(object["rule"], at: pointer + "/rule", length: 1...2000),
                let onFailure = r.oneOf(object["onFailure"], at: pointer + "/onFailure", ["exclude", "abort"])
            else { rules = nil; continue }
            rules?.append(.init(table: table, name: name, rule: rule, onFailure: .init(rawValue: onFailure)!))
        }
        return rules
    }

    private static func engine(_ value: JSONValue?, parties: Int, _ r: DocumentReader) -> EngineDescriptor? {
        guard
            let object = r.object(
                value, at: "/engine", required: ["protocol", "security", "majority"], optional: ["measurements"])
        else {
            return nil
        }
        var measurements: [String] = []
        if let values = r.array(object["measurements"], at: "/engine/measurements", count: 1...16) {
            for (index, value) in values.enumerated() {
                let pointer = "/engine/measurements/\(index)"
                guard let text = r.string(value, at: pointer, length: 64...64) else { continue }
                guard text.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
                    r.error(pointer, "must be a SHA-256 in lowercase hex (64 digits 0-9a-f)")
                    continue
                }
                guard !measurements.contains(text) else {
                    r.error(pointer, "is listed twice")
                    continue
                }
                measurements.append(text)
            }
        }
        let name = r.oneOf(
            object["protocol"], at: "/engine/protocol", EngineDescriptor.ProtocolName.allCases.map(\.rawValue))
        let security = r.oneOf(
            object["security"], at: "/engine/security", EngineDescriptor.Security.allCases.map(\.rawValue))
        let majority = r.oneOf(
            object["majority"], at: "/engine/majority", EngineDescriptor.Majority.allCases.map(\.rawValue))
        guard let name = name.flatMap(EngineDescriptor.ProtocolName.init),
            let security = security.flatMap(EngineDescriptor.Security.init),
            let majority = majority.flatMap(EngineDescriptor.Majority.init)
        else { return nil }
        var engine = EngineDescriptor(protocol: name, security: security, majority: majority, parties: parties)
        engine.measurements = measurements
        return engine
    }

    private static func deadlines(_ value: JSONValue?, _ r: DocumentReader) -> ComputationTaskSpecification.Deadlines? {
        guard let object = r.object(value, at: "/deadlines", required: ["inputs", "compute", "outputs"]) else {
            return nil
        }
        let inputs = r.timestamp(object["inputs"], at: "/deadlines/inputs")
        let compute = r.timestamp(object["compute"], at: "/deadlines/compute")
        let outputs = r.timestamp(object["outputs"], at: "/deadlines/outputs")
        guard let inputs, let compute, let outputs else { return nil }
        return .init(inputs: inputs, compute: compute, outputs: outputs)
    }
}
