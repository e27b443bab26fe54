import ConsortSpec
import Foundation

/// Reads an input table from CSV (RFC 4180: quoted fields, doubled quotes, CRLF or LF line ends) whose header names
/// exactly the table's columns, checking every value against its column's type and range. Any error names the file,
/// line and column, and nothing is returned: a file is used whole or not at all.
package enum CSVTable {
    package static func read(_ path: String, table: ComputationTaskSpecification.Table) throws -> TableData {
        let bytes: Data
        do { bytes = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw QueryError(.invalidData, "\(path): cannot read the file (\(error.localizedDescription))")
        }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw QueryError(.invalidData, "\(path): not UTF-8 text")
        }
        return try Self.parse(text, table: table, source: path)
    }

    package static func parse(_ text: String, table: ComputationTaskSpecification.Table, source: String = "input")
        throws -> TableData
    {
        let check = try Self.check(text, table: table, source: source)
        guard let data = check.data else { throw QueryError(.invalidData, check.summary) }
        return data
    }

    /// Every problem of a CSV, not only the first (the first `limit` kept with line, column and reason, all counted),
    /// and the rows when there is none. A broken header or quoting, or too many rows, is one problem that ends it.
    package static func check(
        _ text: String, table: ComputationTaskSpecification.Table, source: String = "input", limit: Int = 100
    ) throws -> CSVCheck {
        var check = CSVCheck(source: source, limit: limit)
        let records: [Record]
        do { records = try Self.records(text, source: source) } catch let error as QueryError {
            check.add(CSVCheck.Problem(line: nil, column: nil, reason: error.message))
            return check
        }
        guard let header = records.first else {
            check.add(
                CSVCheck.Problem(line: 1, column: nil, reason: "empty file: the first line must name the columns"))
            return check
        }
        let names = table.columns.map(\.name)
        guard header.fields == names else {
            let missing = names.filter { !header.fields.contains($0) }
            let extra = header.fields.filter { !names.contains($0) }
            var problems: [String] = []
            if !missing.isEmpty { problems.append("missing \(missing.joined(separator: ", "))") }
            if !extra.isEmpty { problems.append("unknown \(extra.joined(separator: ", "))") }
            if problems.isEmpty { problems.append("columns out of order") }
            check.add(
                CSVCheck.Problem(
                    line: 1, column: nil,
                    reason:
                        "the header must be \(names.joined(separator: ",")) (table '\(table.name)'): \(problems.joined(separator: "; "))"
                ))
            return check
        }
        let rows = records.dropFirst()
        guard rows.count <= table.maxRows else {
            check.add(
                CSVCheck.Problem(
                    line: nil, column: nil,
                    reason: "\(rows.count) rows, but table '\(table.name)' allows at most \(table.maxRows)"))
            return check
        }
        var columns = [[Int64]](repeating: [], count: table.storedColumnNames.count)
        for index in columns.indices { columns[index].reserveCapacity(rows.count) }
        let keyWords = table.columns.indices.map { table.columns[$0].type == .key ? table.keyWords(of: $0) : [] }
        let presence = table.columns.indices.map { table.presence(of: $0) }
        // For each unique key, the line where each value first appeared: a repeat within one file is caught here.
        var firstLines = [Int: [String: Int]]()
        for record in rows {
            guard record.fields.count == names.count else {
                check.add(
                    CSVCheck.Problem(
                        line: record.line, column: nil,
                        reason:
                            "\(record.fields.count) fields, expected \(names.count) (\(names.joined(separator: ",")))"))
                continue
            }
            for (index, column) in table.columns.enumerated() {
                let field = record.fields[index]
                guard column.type == .key else {
                    if field.isEmpty {
                        guard let present = presence[index] else {
                            check.add(
                                CSVCheck.Problem(
                                    line: record.line, column: column.name,
                                    reason: "empty, but the column is not nullable"))
                            continue
                        }
                        // NULL: the presence bit 0 and the column's lowest value, which is inside the data model.
                        columns[index].append(Self.lowest(column))
                        columns[present].append(0)
                        continue
                    }
                    do {
                        columns[index].append(try Self.value(field, column))
                        if let present = presence[index] { columns[present].append(1) }
                    } catch let error as QueryError {
                        check.add(CSVCheck.Problem(line: record.line, column: column.name, reason: error.message))
                    }
                    continue
                }
                guard KeyEncoding.isValid(field) else {
                    check.add(
                        CSVCheck.Problem(
                            line: record.line, column: column.name,
                            reason:
                                "'\(field)' is not a key: 1 to \(KeyEncoding.maximumLength) ASCII letters and digits"))
                    continue
                }
                if column.unique {
                    if let first = firstLines[index]?[field] {
                        check.add(
                            CSVCheck.Problem(
                                line: record.line, column: column.name,
                                reason: "key '\(field)' repeats line \(first), but the key is declared unique"))
                        continue
                    }
                    firstLines[index, default: [:]][field] = record.line
                }
                for (stored, word) in zip(keyWords[index], KeyEncoding.encode(field, table.keyLayout)) {
                    columns[stored].append(word)
                }
            }
        }
        if check.total == 0 { check.data = TableData(columns: columns) }
        return check
    }

    /// One field's value in the plan's scaled integers; the error says why (the caller says where).
    static func value(_ field: String, _ column: ComputationTaskSpecification.Column) throws -> Int64 {
        switch column.type {
        case .integer(let min, let max):
            guard let value = Int64(field) else {
                throw QueryError(.invalidData, "'\(field)' is not an integer")
            }
            guard (min...max).contains(value) else {
                throw QueryError(.invalidData, "\(value) is outside \(min)...\(max)")
            }
            return value
        case .decimal(let scale, let min, let max):
            guard let value = FixedDecimal(parsing: field, scale: scale) else {
                throw QueryError(
                    .invalidData,
                    "'\(field)' is not a decimal with at most \(scale) digits after the point")
            }
            guard value >= min, value <= max else {
                throw QueryError(.invalidData, "\(field) is outside \(min)...\(max)")
            }
            return value.rescaled(scale)
        case .category(let values):
            guard let index = values.firstIndex(of: field) else {
                throw QueryError(
                    .invalidData, "'\(field)' is not one of \(values.joined(separator: ", "))")
            }
            return Int64(index)
        case .boolean:
            switch field.lowercased() {
            case "true", "t", "1": return 1
            case "false", "f", "0": return 0
            default: throw QueryError(.invalidData, "'\(field)' is not true or false")
            }
        case .key:
            preconditionFailure("keys are encoded by KeyEncoding, not read as values")
        }
    }

    /// The lowest stored value of a column that is not a key.
    static func lowest(_ column: ComputationTaskSpecification.Column) -> Int64 {
        switch column.type {
        case .integer(let min, _): return min
        case .decimal(let scale, let min, _): return min.rescaled(scale)
        case .category, .boolean, .key: return 0
        }
    }

    struct Record {
        var line: Int
        var fields: [String]
    }

    /// RFC 4180 records; a final line end is optional; an empty last line is not a record. Works on UTF-8 bytes:
    /// the delimiters are ASCII, so fields are cut without decoding the whole text into characters.
    static func records(_ text: String, source: String) throws -> [Record] {
        var text = text
        return try text.withUTF8 { bytes in
            var records: [Record] = []
            var fields: [String] = []
            var field: [UInt8] = []
            var quoted = false
            var fieldStarted = false
            var line = 1
            var recordLine = 1
            var index = 0
            let (quote, comma, cr, lf): (UInt8, UInt8, UInt8, UInt8) = (34, 44, 13, 10)
            func endRecord() {
                fields.append(String(decoding: field, as: UTF8.self))
                if !(fields.count == 1 && field.isEmpty && !fieldStarted) {
                    records.append(Record(line: recordLine, fields: fields))
                }
                fields = []
                field.removeAll(keepingCapacity: true)
                fieldStarted = false
            }
            while index < bytes.count {
                let c = bytes[index]
                if quoted {
                    if c == quote {
                        if index + 1 < bytes.count, bytes[index + 1] == quote {
                            field.append(quote); index += 2; continue
                        }
                        quoted = false
                    } else {
                        if c == lf { line += 1 }
                        field.append(c)
                    }
                    index += 1
                    continue
                }
                switch c {
                case quote:
                    guard field.isEmpty else {
                        throw QueryError(.invalidData, "\(source):\(line): a quote inside an unquoted field")
                    }
                    quoted = true
                    fieldStarted = true
                case comma:
                    fields.append(String(decoding: field, as: UTF8.self))
                    field.removeAll(keepingCapacity: true)
                    fieldStarted = true
                case cr:
                    if index + 1 < bytes.count, bytes[index + 1] == lf { index += 1 }
                    endRecord(); line += 1; recordLine = line
                case lf:
                    endRecord(); line += 1; recordLine = line
                default:
                    field.append(c)
                    fieldStarted = true
                }
                index += 1
            }
            guard !quoted else {
                throw QueryError(.invalidData, "\(source):\(recordLine): a quoted field is not closed")
            }
            if fieldStarted || !field.isEmpty || !fields.isEmpty { endRecord() }
            return records
        }
    }
}
