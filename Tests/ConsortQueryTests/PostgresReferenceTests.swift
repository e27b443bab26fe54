import ConsortMPC
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Foundation
import PostgresNIO
import Testing

/// consort-sql/1 has PostgreSQL's semantics: every query runs in PostgreSQL and in both Consort engines on the same
/// rows, and the answers agree (counts, sums, min/max exactly; the rest within 1e-6 relative, 1e-6 absolute near 0).
@Suite("consort-sql/1 against PostgreSQL")
struct PostgresReferenceTests {
    static let queries: [String] = [
        "SELECT COUNT(*) AS n FROM people",
        "SELECT COUNT(*) AS n, SUM(age) AS s, AVG(age) AS a, MIN(age) AS lo, MAX(age) AS hi FROM people",
        "SELECT region, COUNT(*) AS n FROM people GROUP BY region",
        "SELECT region, SUM(income) AS s, AVG(income) AS a FROM people GROUP BY region",
        "SELECT sex, VAR_POP(age) AS vp, VAR_SAMP(age) AS vs, VARIANCE(age) AS v FROM people GROUP BY sex",
        "SELECT STDDEV_POP(income) AS sp, STDDEV_SAMP(income) AS ss, STDDEV(income) AS s FROM people",
        "SELECT region, sex, COUNT(*) AS n, AVG(hours) AS a FROM people GROUP BY region, sex",
        "SELECT employed, COUNT(*) AS n, MIN(income) AS lo, MAX(income) AS hi FROM people GROUP BY employed",
        "SELECT WIDTH_BUCKET(age, 0, 100, 5) AS bucket, COUNT(*) AS n FROM people GROUP BY WIDTH_BUCKET(age, 0, 100, 5)",
        "SELECT COUNT(*) AS n FROM people WHERE age >= 18 AND employed",
        "SELECT region, AVG(score) AS a FROM people WHERE score < 0 GROUP BY region",
        "SELECT SUM(score) AS s, MIN(score) AS lo, MAX(score) AS hi, AVG(score) AS a FROM people",
        "SELECT COUNT(*) AS n FROM people WHERE age BETWEEN 30 AND 50",
        "SELECT COUNT(*) AS n FROM people WHERE age NOT BETWEEN 30 AND 50",
        "SELECT COUNT(*) AS n FROM people WHERE region IN ('north', 'south')",
        "SELECT COUNT(*) AS n FROM people WHERE region NOT IN ('north', 'south')",
        "SELECT SUM(CASE WHEN employed THEN income ELSE 0 END) AS s FROM people",
        "SELECT region, SUM(CASE WHEN age < 30 THEN 1 WHEN age < 60 THEN 2 ELSE 3 END) AS s FROM people GROUP BY region",
        "SELECT SUM(age * hours) AS s FROM people",
        "SELECT AVG(income + score) AS a FROM people",
        "SELECT SUM(age - hours) AS s, MIN(age - hours) AS lo FROM people",
        "SELECT COUNT(*) AS n FROM people WHERE NOT employed OR age > 60",
        "SELECT COUNT(*) AS n FROM people WHERE income > 500.5",
        "SELECT COUNT(*) AS n FROM people WHERE region <> 'east'",
        "SELECT sex, STDDEV(score) AS s, VAR_POP(score) AS v FROM people GROUP BY sex",
        "SELECT WIDTH_BUCKET(income, 100, 900, 4) AS bucket, COUNT(*) AS n, AVG(age) AS a FROM people GROUP BY WIDTH_BUCKET(income, 100, 900, 4)",
        "SELECT region, employed, MAX(hours) AS hi, MIN(hours) AS lo FROM people GROUP BY region, employed",
        "SELECT COUNT(age) AS n, COUNT(region) AS r FROM people WHERE hours = 40",
        "SELECT AVG(-score) AS a FROM people",
        "SELECT employed, AVG(age) AS a, STDDEV_SAMP(age) AS s FROM people WHERE region = 'west' GROUP BY employed",
        "SELECT SUM(2 * age + 1) AS s FROM people",
        "SELECT COUNT(*) AS n FROM people WHERE age * 2 > hours + 50",
        "SELECT region, sex, STDDEV_POP(hours) AS s FROM people WHERE age < 5 GROUP BY region, sex",
        "SELECT MEDIAN(age) AS m FROM people",
        "SELECT region, PERCENTILE_CONT(0.25) WITHIN GROUP (ORDER BY income) AS p FROM people GROUP BY region",
        "SELECT sex, PERCENTILE_DISC(0.9) WITHIN GROUP (ORDER BY score) AS p, PERCENTILE_DISC(0) WITHIN GROUP (ORDER BY hours) AS q FROM people GROUP BY sex",
        "SELECT PERCENTILE_CONT(1) WITHIN GROUP (ORDER BY score) AS p, PERCENTILE_CONT(0) WITHIN GROUP (ORDER BY age) AS q FROM people WHERE employed",
        "SELECT employed, MEDIAN(score) AS m, PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY age) AS d FROM people WHERE age < 10 GROUP BY employed",
        "SELECT COVAR_POP(hours, age) AS cp, COVAR_SAMP(hours, age) AS cs FROM people",
        "SELECT region, CORR(hours, age) AS r FROM people GROUP BY region",
        "SELECT sex, REGR_SLOPE(hours, age) AS b, REGR_INTERCEPT(hours, age) AS a, REGR_R2(hours, age) AS r2 FROM people GROUP BY sex",
        "SELECT COVAR_POP(score, income) AS c, CORR(score, income) AS r FROM people",
        "SELECT REGR_SLOPE(score, hours) AS b, REGR_INTERCEPT(score, hours) AS a FROM people WHERE employed",
        "SELECT region, REGR_SLOPE(age, hours) AS b, CORR(age, hours) AS r, REGR_R2(hours, age) AS r2 FROM people WHERE hours = 40 GROUP BY region",
        "SELECT region, sex, COVAR_SAMP(age, score) AS c, REGR_R2(age, score) AS r2 FROM people WHERE age > 30 GROUP BY region, sex",
    ]

    @Test(
        "every reference query gives PostgreSQL's answer, in plaintext and under MPC",
        .enabled(if: TestPostgres.canRun, TestPostgres.skipReason))
    func reference() async throws {
        _ = try TestPostgres.requireURL()
        let (csv, data) = try QueryFixture.data()
        try await TestPostgres.withDatabase { url in
            try await Self.load(csv, url: url)
            for query in Self.queries {
                let plan = try QueryChecker.check(try QueryFixture.specification(query: query))
                // PostgreSQL has no MEDIAN: it is PERCENTILE_CONT(0.5).
                let postgresQuery = query.replacing(/MEDIAN\((\w+)\)/) {
                    "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY \($0.1))"
                }
                let expected = try await Self.postgres(postgresQuery, url: url)
                try Self.compare(try PlainEngine.run(plan, on: data), expected, query: query, engine: "plain")
                try Self.compare(
                    try await MPCQueryEngine.run(plan, on: data, engine: Replicated3.Engine.self).0, expected,
                    query: query, engine: "mpc")
            }
        }
    }

    @Test(
        "quality rules and suppression: excluded counts and suppressed groups as PostgreSQL counts them",
        .enabled(if: TestPostgres.canRun, TestPostgres.skipReason))
    func qualityAndSuppression() async throws {
        _ = try TestPostgres.requireURL()
        let (csv, data) = try QueryFixture.data(seed: 7)
        try await TestPostgres.withDatabase { url in
            try await Self.load(csv, url: url)
            let rule = ComputationTaskSpecification.QualityRule(
                table: "people", name: "plausible", rule: "hours <= 60 OR NOT employed", onFailure: .exclude)
            // Few 'west' rows pass the WHERE, so those groups fall under the threshold and the others do not.
            let query =
                "SELECT region, sex, COUNT(*) AS n, AVG(income) AS a FROM people WHERE age >= 20 AND (region <> 'west' OR age > 90) GROUP BY region, sex"
            let plan = try QueryChecker.check(
                try QueryFixture.specification(query: query, quality: [rule], minGroupSize: 100))
            let expected = try await Self.postgres(
                query.replacingOccurrences(
                    of: "WHERE age >= 20", with: "WHERE (hours <= 60 OR NOT employed) AND age >= 20"), url: url)
            let excluded = try await Self.postgres(
                "SELECT COUNT(*) AS n FROM people WHERE NOT (hours <= 60 OR NOT employed)", url: url)[0]["n"]!
            for (engine, result) in [
                ("plain", try PlainEngine.run(plan, on: data)),
                ("mpc", try await MPCQueryEngine.run(plan, on: data, engine: Replicated3.Engine.self).0),
            ] {
                #expect(result.excludedRows["people"].map(Double.init) == excluded.doubleValue, "\(engine)")
                // Every group with fewer than 100 rows is suppressed (all its aggregate cells null), the others agree.
                let small = expected.filter { ($0["n"]?.doubleValue ?? 0) < 100 }.count + (8 - expected.count)
                #expect(
                    result.suppressed == small,
                    "\(engine): \(result.suppressed) suppressed, PostgreSQL has \(small) groups under 100")
                #expect(small > 0 && small < 8, "the fixture must exercise both sides of the threshold")
                for row in result.rows where row[0] == .text("west") {
                    #expect(row[2] == nil && row[3] == nil, "\(engine): \(row)")
                }
                try Self.compare(
                    result, expected.filter { ($0["n"]?.doubleValue ?? 0) >= 100 }, query: query, engine: engine,
                    skipSuppressed: true)
            }
        }
    }

    @Test(
        "the example CTSs' queries (quality rules, WHERE, MEDIAN, two GROUP BY keys) give PostgreSQL's answer",
        .enabled(if: TestPostgres.canRun, TestPostgres.skipReason),
        arguments: [
            "household-income.json", "gender-pay-gap.json", "mno-commuting.json",
        ])
    func examples(_ file: String) async throws {
        _ = try TestPostgres.requireURL()
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../Specs/examples/\(file)"
        ).standardized.path
        let document = try SpecificationDocument.read(path)
        let cts = try #require(try document.specification().0)
        let plan = try QueryChecker.check(cts)
        let table = plan.table
        let csv = try DataSynth.csv(table: table, rows: 2_000, seed: 11)
        let data = try CSVTable.parse(csv, table: table)
        try await TestPostgres.withDatabase { url in
            let columns = table.columns.map { column -> String in
                switch column.type {
                case .integer: return "\(column.name) bigint"
                case .decimal(let scale, _, _): return "\(column.name) numeric(20,\(scale))"
                case .boolean: return "\(column.name) boolean"
                default: return "\(column.name) text"
                }
            }
            var statements = ["CREATE TABLE \(table.name) (\(columns.joined(separator: ", ")))"]
            for line in csv.split(separator: "\n").dropFirst() {
                let values = zip(table.columns, line.split(separator: ",", omittingEmptySubsequences: false)).map {
                    column, value -> String in
                    if case .category = column.type { return "'\(value)'" }
                    return String(value)
                }
                statements.append("INSERT INTO \(table.name) VALUES (\(values.joined(separator: ", ")))")
            }
            try await TestPostgres.execute(["BEGIN"] + statements + ["COMMIT"], url: url)
            // PostgreSQL gets the exclude rules as a WHERE conjunct, and MEDIAN as PERCENTILE_CONT(0.5).
            let rules = cts.quality.filter { $0.table == table.name && $0.onFailure == .exclude }.map { "(\($0.rule))" }
            var query = cts.query.replacing(/MEDIAN\((\w+)\)/) {
                "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY \($0.1))"
            }
            if !rules.isEmpty {
                let condition = rules.joined(separator: " AND ")
                if query.contains(" WHERE ") {
                    query = query.replacingOccurrences(of: " WHERE ", with: " WHERE \(condition) AND ")
                } else if let groupBy = query.range(of: " GROUP BY ") {
                    query.replaceSubrange(groupBy, with: " WHERE \(condition) GROUP BY ")
                } else {
                    query += " WHERE \(condition)"
                }
            }
            let expected = try await Self.postgres(query, url: url)
            #expect(!expected.isEmpty)
            let minimum = Double(cts.disclosure.minGroupSize)
            let countColumn = plan.outputs.first {
                $0.type == "integer" && !["category", "boolean"].contains($0.type)
            }?.name
            let kept = expected.filter { row in countColumn.map { (row[$0]?.doubleValue ?? 0) >= minimum } ?? true }
            for (engine, result) in [
                ("plain", try PlainEngine.run(plan, on: data)),
                ("mpc", try await MPCQueryEngine.run(plan, on: data, engine: Replicated3.Engine.self).0),
            ] {
                try Self.compare(result, kept, query: cts.query, engine: engine, skipSuppressed: true)
            }
        }
    }

    // MARK: Helpers

    static func load(_ csv: String, url: String) async throws {
        var statements = [
            "CREATE TABLE people (region text, sex text, employed boolean, age integer, hours integer, income numeric(8,2), score numeric(4,1))"
        ]
        for line in csv.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            statements.append(
                "INSERT INTO people VALUES ('\(f[0])', '\(f[1])', \(f[2]), \(f[3]), \(f[4]), \(f[5]), \(f[6]))")
        }
        try await TestPostgres.execute(["BEGIN"] + statements + ["COMMIT"], url: url)
    }

    /// PostgreSQL's rows as JSON objects (column name → value).
    static func postgres(_ query: String, url: String) async throws -> [[String: JSONValue]] {
        let rows = try await TestPostgres.withClient(url: url) { client -> [String] in
            var texts: [String] = []
            for try await (text) in try await client.query(
                PostgresQuery(unsafeSQL: "SELECT row_to_json(t)::text FROM (\(query)) t"), logger: Logger(label: "test")
            ).decode(String.self) {
                texts.append(text)
            }
            return texts
        }
        return try rows.map { text in
            guard case .object(let object) = try StrictJSONReader().parse(Array(text.utf8)) else {
                throw QueryError(.syntax, "not an object")
            }
            return Dictionary(uniqueKeysWithValues: object.members.map { ($0.0, $0.1) })
        }
    }

    static func compare(
        _ result: QueryResult, _ expected: [[String: JSONValue]], query: String, engine: String,
        skipSuppressed: Bool = false
    ) throws {
        let keyColumns = result.columns.indices.filter {
            ["category", "boolean"].contains(result.types[$0]) || result.columns[$0] == "bucket"
        }
        for row in expected {
            // The Consort row of the same group (Consort lists every group of the domain, PostgreSQL the non-empty ones).
            let match = result.rows.first { candidate in
                keyColumns.allSatisfy { index in Self.same(candidate[index], row[result.columns[index]]) }
            }
            guard let match else {
                Issue.record("\(engine): no group for \(row) in \(query)")
                continue
            }
            for (index, column) in result.columns.enumerated() where !keyColumns.contains(index) {
                let want = row[column] ?? .null
                let got = match[index]
                if skipSuppressed, got == nil { continue }
                switch (got, want) {
                case (nil, .null): continue
                case (let value?, .number(let number)):
                    let (a, b) = (value.doubleValue ?? .nan, number.double)
                    let exact: Bool = { if case .real = value { return false } else { return true } }()
                    let tolerance = exact ? 0 : max(1e-6, 1e-6 * abs(b))
                    #expect(abs(a - b) <= tolerance, "\(engine): \(column) = \(a), PostgreSQL \(b) in \(query)")
                default:
                    Issue.record("\(engine): \(column) = \(String(describing: got)), PostgreSQL \(want) in \(query)")
                }
            }
        }
        // Groups PostgreSQL does not list are empty: COUNT 0 and every other aggregate NULL.
        let listed = result.rows.filter { candidate in
            expected.contains { row in keyColumns.allSatisfy { Self.same(candidate[$0], row[result.columns[$0]]) } }
        }.count
        for candidate in result.rows
        where !expected.contains(where: { row in
            keyColumns.allSatisfy { Self.same(candidate[$0], row[result.columns[$0]]) }
        }) {
            for (index, cell) in candidate.enumerated() where !keyColumns.contains(index) {
                #expect(
                    cell == nil || cell == .integer(0),
                    "\(engine): empty group \(candidate) has \(String(describing: cell)) in \(query)")
            }
        }
        #expect(
            listed == expected.count || skipSuppressed,
            "\(engine): \(listed) of \(expected.count) PostgreSQL groups matched in \(query)")
    }

    static func same(_ cell: ResultValue?, _ value: JSONValue?) -> Bool {
        switch (cell, value) {
        case (nil, .null?): return true  // the NULL group
        case (.text(let a)?, .string(let b)?): return a == b
        case (.boolean(let a)?, .bool(let b)?): return a == b
        case (.integer(let a)?, .number(let b)?): return Double(a) == b.double
        default: return false
        }
    }
}

extension JSONValue {
    var doubleValue: Double? { if case .number(let n) = self { return n.double } else { return nil } }
}
