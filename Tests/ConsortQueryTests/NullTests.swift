import ConsortMPC
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

/// Nullable columns (`Specs/consort-sql.md`, NULLs): empty CSV cells are NULL, aggregates skip them, conditions follow
/// SQL's three-valued logic — PostgreSQL's answers, in plaintext and under MPC.
@Suite("NULL values")
struct NullTests {
    static let table = ComputationTaskSpecification.Table(
        name: "survey", maxRows: 5_000,
        columns: [
            .init(name: "region", type: .category(values: ["north", "east", "south", "west"])),
            .init(name: "sex", type: .category(values: ["f", "m"]), nullable: true),
            .init(name: "age", type: .integer(min: 0, max: 100), nullable: true),
            .init(
                name: "income",
                type: .decimal(
                    scale: 2, min: FixedDecimal(units: 0, scale: 2), max: FixedDecimal(units: 100_000, scale: 2)),
                nullable: true),
            .init(name: "employed", type: .boolean, nullable: true),
            .init(name: "hours", type: .integer(min: 0, max: 80)),
        ])

    static let queries = [
        "SELECT COUNT(*) AS n, COUNT(age) AS a, COUNT(income) AS i, COUNT(sex) AS s FROM survey",
        "SELECT region, AVG(age) AS a, SUM(income) AS s, MIN(income) AS lo, MAX(age) AS hi FROM survey GROUP BY region",
        "SELECT COUNT(*) AS n FROM survey WHERE age IS NULL",
        "SELECT COUNT(*) AS n FROM survey WHERE income IS NOT NULL AND age > 40",
        "SELECT COUNT(*) AS n FROM survey WHERE NOT (age > 40)",
        "SELECT COUNT(*) AS n FROM survey WHERE age > 40 OR employed",
        "SELECT COUNT(*) AS n FROM survey WHERE NOT (age > 40 AND employed)",
        "SELECT COUNT(*) AS n FROM survey WHERE NOT (age > 40 OR NOT employed)",
        "SELECT region, STDDEV_SAMP(age) AS s, VAR_POP(income) AS v FROM survey GROUP BY region",
        "SELECT region, MEDIAN(age) AS m, PERCENTILE_DISC(0.9) WITHIN GROUP (ORDER BY income) AS p FROM survey GROUP BY region",
        "SELECT CORR(age, hours) AS r, COVAR_POP(income, age) AS c, REGR_SLOPE(hours, age) AS b FROM survey",
        "SELECT SUM(age + hours) AS s, AVG(age * 2) AS a FROM survey",
        "SELECT SUM(CASE WHEN age > 60 THEN 1 END) AS old, COUNT(CASE WHEN employed THEN 1 END) AS e FROM survey",
        "SELECT region, COUNT(sex) AS n FROM survey WHERE sex = 'f' OR sex IS NULL GROUP BY region",
        "SELECT COUNT(*) AS n FROM survey WHERE age NOT BETWEEN 20 AND 60",
        "SELECT COUNT(*) AS n FROM survey WHERE sex NOT IN ('f')",
        "SELECT region, COUNT(*) AS n, COUNT(age) AS c, AVG(age) AS a, STDDEV_SAMP(age) AS s, MIN(age) AS lo FROM survey WHERE age IS NULL OR age = 7 GROUP BY region",
        "SELECT employed IS NULL AS unknown, COUNT(*) AS n FROM survey GROUP BY employed IS NULL",
        // GROUP BY a value that may be NULL: the NULLs form a group of their own.
        "SELECT sex, COUNT(*) AS n, AVG(age) AS a FROM survey GROUP BY sex",
        "SELECT region, employed, COUNT(*) AS n, SUM(income) AS s FROM survey GROUP BY region, employed",
        "SELECT WIDTH_BUCKET(age, 0, 100, 4) AS bucket, COUNT(*) AS n FROM survey GROUP BY WIDTH_BUCKET(age, 0, 100, 4)",
        "SELECT CASE WHEN age > 50 THEN region END AS older, COUNT(*) AS n FROM survey GROUP BY CASE WHEN age > 50 THEN region END",
    ]

    static func specification(query: String) throws -> ComputationTaskSpecification {
        var cts = try QueryFixture.specification(query: query)
        cts.tables = [Self.table]
        return cts
    }

    /// Rows with about one value in ten missing in each nullable column.
    static func csv(seed: UInt64 = 3, rows: Int = 2_000) throws -> String {
        try DataSynth.csv(table: Self.table, rows: rows, seed: seed)
    }

    @Test(
        "every NULL query gives PostgreSQL's answer, in plaintext and under MPC",
        .enabled(if: TestPostgres.canRun, TestPostgres.skipReason))
    func postgres() async throws {
        _ = try TestPostgres.requireURL()
        let csv = try Self.csv()
        let data = try CSVTable.parse(
            csv, table: try Self.specification(query: "SELECT COUNT(*) AS n FROM survey").tables[0])
        try await TestPostgres.withDatabase { url in
            var statements = [
                "CREATE TABLE survey (region text, sex text, age integer, income numeric(10,2), employed boolean, hours integer)"
            ]
            for line in csv.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: ",", omittingEmptySubsequences: false).enumerated().map {
                    index, field -> String in
                    if field.isEmpty { return "NULL" }
                    return index < 2 ? "'\(field)'" : String(field)
                }
                statements.append("INSERT INTO survey VALUES (\(fields.joined(separator: ", ")))")
            }
            try await TestPostgres.execute(["BEGIN"] + statements + ["COMMIT"], url: url)
            let nulls = try await PostgresReferenceTests.postgres(
                "SELECT COUNT(*) - COUNT(age) AS a, COUNT(*) - COUNT(employed) AS e FROM survey", url: url)
            #expect((nulls[0]["a"]?.doubleValue ?? 0) > 100 && (nulls[0]["e"]?.doubleValue ?? 0) > 100)
            for query in Self.queries {
                let plan = try QueryChecker.check(try Self.specification(query: query))
                let postgresQuery = query.replacing(/MEDIAN\((\w+)\)/) {
                    "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY \($0.1))"
                }
                let expected = try await PostgresReferenceTests.postgres(postgresQuery, url: url)
                try PostgresReferenceTests.compare(
                    try PlainEngine.run(plan, on: data), expected, query: query, engine: "plain")
                try PostgresReferenceTests.compare(
                    try await MPCQueryEngine.run(plan, on: data, engine: Replicated3.Engine.self).0, expected,
                    query: query, engine: "mpc")
            }
        }
    }

    @Test("MPC (passive and active) equals plaintext with NULLs, including groups with no value that is not NULL")
    func mpcEqualsPlain() async throws {
        let cts = try Self.specification(query: Self.queries[16])
        let plan = try QueryChecker.check(cts)
        let data = try CSVTable.parse(try Self.csv(seed: 8, rows: 600), table: cts.tables[0])
        let plain = try PlainEngine.run(plan, on: data)
        // Some group has rows but no age that is not NULL: AVG is NULL there while COUNT(*) is not 0.
        #expect(plain.rows.contains { row in row[1] != .integer(0) && row[3] == nil })
        #expect(try await MPCQueryEngine.run(plan, on: data, engine: Replicated3.Engine.self).0 == plain)
        let active = EngineDescriptor(protocol: .replicated3, security: .active, majority: .honest, parties: 3)
        #expect(try await MPCQueryEngine.run(plan, on: [data], engine: active).0 == plain)
    }

    @Test("GROUP BY a value that may be NULL: one more group, labelled NULL, last; MPC equals plaintext")
    func groupByNull() async throws {
        let cts = try Self.specification(query: "SELECT sex, COUNT(*) AS n, COUNT(age) AS a FROM survey GROUP BY sex")
        let plan = try QueryChecker.check(cts)
        let csv = try Self.csv(seed: 5, rows: 500)
        let data = try CSVTable.parse(csv, table: cts.tables[0])
        let plain = try PlainEngine.run(plan, on: data)
        // The NULL group counts the rows with an empty sex cell.
        let empty = csv.split(separator: "\n").dropFirst().filter {
            $0.split(separator: ",", omittingEmptySubsequences: false)[1].isEmpty
        }.count
        #expect(empty > 10)
        #expect(plain.rows.map { $0[0] } == [.text("f"), .text("m"), nil])
        #expect(plain.rows[2][1] == .integer(Int64(empty)))
        #expect(plain.rows.map { $0[1]?.doubleValue ?? 0 }.reduce(0, +) == 500)
        #expect(plain.table().contains("NULL"))
        #expect(try await MPCQueryEngine.run(plan, on: data, engine: Replicated3.Engine.self).0 == plain)
        // Where the value is never NULL there is no NULL group.
        let region = try QueryChecker.check(
            try Self.specification(query: "SELECT region, COUNT(*) AS n FROM survey GROUP BY region"))
        #expect(try PlainEngine.run(region, on: data).rows.count == 4)
    }

    @Test("empty cells: NULL where the column is nullable, an error where it is not; a presence bit outside 0/1 aborts")
    func cells() async throws {
        let cts = try Self.specification(query: "SELECT COUNT(age) AS n FROM survey")
        let table = cts.tables[0]
        #expect(
            table.storedColumnNames.suffix(4) == ["sex#present", "age#present", "income#present", "employed#present"])
        let text = "region,sex,age,income,employed,hours\nnorth,,,,,40\n,f,30,1.5,true,\nsouth,m,31,,false,7\n"
        let check = try CSVTable.check(text, table: table, source: "s.csv")
        #expect(check.total == 2)
        #expect(check.problems.map(\.column) == ["region", "hours"])
        #expect(check.problems.allSatisfy { $0.reason == "empty, but the column is not nullable" })
        let data = try CSVTable.parse(
            "region,sex,age,income,employed,hours\nnorth,,,,,40\nsouth,m,31,,false,7\n", table: table)
        let plan = try QueryChecker.check(cts)
        #expect(try PlainEngine.run(plan, on: data).rows == [[.integer(1)]])
        // A presence bit of 2 (an input party past the client) is outside the data model.
        var forged = data
        forged.columns[table.presence(of: 2)!][0] = 2
        await #expect(throws: QueryError.self) {
            try await MPCQueryEngine.run(plan, on: forged, engine: Replicated3.Engine.self)
        }
    }
}
