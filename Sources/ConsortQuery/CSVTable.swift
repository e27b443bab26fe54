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
        var reader = RowReader(table: table)
        do {
            try Self.records(text, source: source) { record in try reader.take(record, into: &check) }
        } catch let error as QueryError {
            // Broken quoting: that alone is the problem (rows read before it are not reported).
            check = CSVCheck(source: source, limit: limit)
            check.add(CSVCheck.Problem(line: nil, column: nil, reason: error.message))
            return check
        } catch is RowReader.Stop {
            return check
        }
        return try reader.finish(&check)
    }

    /// Takes a CSV's records one at a time: the header first, then each row into the table's columns, its problems
    /// into the check.
    struct RowReader {
        /// The header was wrong: nothing after it is read.
        struct Stop: Error {}

        let table: ComputationTaskSpecification.Table
        let names: [String]
        /// Per column, looked up once rather than per cell: whether it is a key, its stored key words, its presence
        /// column.
        let isKey: [Bool]
        let keyWords: [[Int]]
        let presence: [Int?]
        var header: Record?
        var rows = 0
        var columns: [[Int64]]
        /// For each unique key, the line where each value first appeared: a repeat within one file is caught here.
        var firstLines = [Int: [String: Int]]()

        init(table: ComputationTaskSpecification.Table) {
            self.table = table
            self.names = table.columns.map(\.name)
            self.isKey = table.columns.map { $0.type == .key }
            self.keyWords = table.columns.indices.map {
                table.columns[$0].type == .key ? table.keyWords(of: $0) : []
            }
            self.presence = table.columns.indices.map { table.presence(of: $0) }
            self.columns = [[Int64]](repeating: [], count: table.storedColumnNames.count)
        }

        mutating func take(_ record: Record, into check: inout CSVCheck) throws {
            guard self.header != nil else {
                self.header = record
                try self.checkHeader(record, &check)
                return
            }
            self.rows += 1
            // Past maxRows the rows are only counted, for the message.
            guard self.rows <= self.table.maxRows else { return }
            self.read(record, &check)
        }

        func checkHeader(_ header: Record, _ check: inout CSVCheck) throws {
            let names = self.names
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
                            "the header must be \(names.joined(separator: ",")) (table '\(self.table.name)'): \(problems.joined(separator: "; "))"
                    ))
                throw Stop()
            }
        }

        mutating func finish(_ check: inout CSVCheck) throws -> CSVCheck {
            guard self.header != nil else {
                check.add(
                    CSVCheck.Problem(line: 1, column: nil, reason: "empty file: the first line must name the columns"))
                return check
            }
            guard self.rows <= self.table.maxRows else {
                check = CSVCheck(source: check.source, limit: check.limit)
                check.add(
                    CSVCheck.Problem(
                        line: nil, column: nil,
                        reason: "\(self.rows) rows, but table '\(self.table.name)' allows at most \(self.table.maxRows)"
                    ))
                return check
            }
            if check.total == 0 { check.data = TableData(columns: self.columns) }
            return check
        }

        mutating func read(_ record: Record, _ check: inout CSVCheck) {
            let (table, names) = (self.table, self.names)
            guard record.fields.count == names.count else {
                check.add(
                    CSVCheck.Problem(
                        line: record.line, column: nil,
                        reason:
                            "\(record.fields.count) fields, expected \(names.count) (\(names.joined(separator: ",")))"))
                return
            }
            for index in names.indices {
                let field = record.fields[index]
                guard self.isKey[index] else {
                    if field.isEmpty {
                        guard let present = self.presence[index] else {
                            check.add(
                                CSVCheck.Problem(
                                    line: record.line, column: names[index],
                                    reason: "empty, but the column is not nullable"))
                            continue
                        }
                        // NULL: the presence bit 0 and the column's lowest value, which is inside the data model.
                        self.columns[index].append(CSVTable.lowest(table.columns[index]))
                        self.columns[present].append(0)
                        continue
                    }
                    do {
                        self.columns[index].append(try CSVTable.value(field, table.columns[index]))
                        if let present = self.presence[index] { self.columns[present].append(1) }
                    } catch let error as QueryError {
                        check.add(CSVCheck.Problem(line: record.line, column: names[index], reason: error.message))
                    } catch {
                        preconditionFailure("a value is read with QueryErrors only")
                    }
                    continue
                }
                guard KeyEncoding.isValid(field) else {
                    check.add(
                        CSVCheck.Problem(
                            line: record.line, column: names[index],
                            reason:
                                "'\(field)' is not a key: 1 to \(KeyEncoding.maximumLength) ASCII letters and digits"))
                    continue
                }
                if table.columns[index].unique {
                    if let first = self.firstLines[index]?[field] {
                        check.add(
                            CSVCheck.Problem(
                                line: record.line, column: names[index],
                                reason: "key '\(field)' repeats line \(first), but the key is declared unique"))
                        continue
                    }
                    self.firstLines[index, default: [:]][field] = record.line
                }
                for (stored, word) in zip(self.keyWords[index], KeyEncoding.encode(field, table.keyLayout)) {
                    self.columns[stored].append(word)
                }
            }
        }
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

    /// RFC 4180 records, handed to `each` in order; a final line end is optional; an empty last line is not a record.
    /// Works on UTF-8 bytes: the delimiters are ASCII, so fields are cut without decoding the whole text into
    /// characters.
    static func records(_ text: String, source: String, each: (Record) throws -> Void) throws {
        var text = text
        try text.withUTF8 { bytes in
            var fields: [String] = []
            var field: [UInt8] = []
            var quoted = false
            var fieldStarted = false
            var line = 1
            var recordLine = 1
            var index = 0
            let (quote, comma, cr, lf): (UInt8, UInt8, UInt8, UInt8) = (34, 44, 13, 10)
            func endRecord() throws {
                fields.append(String(decoding: field, as: UTF8.self))
                if !(fields.count == 1 && field.isEmpty && !fieldStarted) {
                    try each(Record(line: recordLine, fields: fields))
                }
                fields.removeAll(keepingCapacity: true)
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
                    try endRecord(); line += 1; recordLine = line
                case lf:
                    try endRecord(); line += 1; recordLine = line
                default:
                    field.append(c)
                    fieldStarted = true
                }
                index += 1
            }
            guard !quoted else {
                throw QueryError(.invalidData, "\(source):\(recordLine): a quoted field is not closed")
            }
            if fieldStarted || !field.isEmpty || !fields.isEmpty { try endRecord() }
        }
    }
}
