import ConsortMPC
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

/// Joins on secret keys (`Specs/consort-sql.md`): PostgreSQL's answer in plaintext and under MPC, a repeated
/// unique key aborts, and the checker refuses what consort-sql/1 cannot join.
@Suite("joins on record-linkage keys")
struct JoinTests {
    static let queries = [
        "SELECT COUNT(*) AS n FROM jobs j JOIN persons p ON j.person = p.person",
        "SELECT p.region, COUNT(*) AS n, AVG(j.wage) AS a, SUM(wage) AS s FROM jobs j JOIN persons p ON j.person = p.person GROUP BY p.region",
        "SELECT j.sector, COUNT(*) AS n, MIN(j.wage) AS lo, MAX(p.age) AS hi FROM jobs AS j INNER JOIN persons AS p ON p.person = j.person WHERE j.year = 2015 AND p.adult GROUP BY j.sector",
        "SELECT region, sector, COUNT(*) AS n, STDDEV_SAMP(age) AS s FROM persons p JOIN jobs j ON j.person = p.person WHERE age BETWEEN 20 AND 70 GROUP BY region, sector",
        "SELECT p.adult, MEDIAN(j.wage) AS m, CORR(j.year, p.age) AS r FROM jobs j JOIN persons p ON j.person = p.person GROUP BY p.adult",
        "SELECT COUNT(*) AS n, SUM(a.balance) AS s, AVG(p.age) AS m FROM accounts a JOIN persons p ON a.person = p.person",
        "SELECT p.region, SUM(CASE WHEN a.balance < 0 THEN 1 ELSE 0 END) AS debtors FROM persons p JOIN accounts a ON a.person = p.person GROUP BY p.region",
        "SELECT j.sector, COUNT(*) AS n, COUNT(j.wage) AS paid, COUNT(p.age) AS aged, AVG(j.wage) AS w FROM jobs j JOIN persons p ON j.person = p.person WHERE p.age IS NULL OR j.wage IS NULL OR p.age > 50 GROUP BY j.sector",
        "SELECT WIDTH_BUCKET(p.age, 0, 100, 2) AS bucket, COUNT(*) AS n, AVG(j.wage) AS w FROM jobs j JOIN persons p ON j.person = p.person GROUP BY WIDTH_BUCKET(p.age, 0, 100, 2)",
    ]

    @Test(
        "every join query gives PostgreSQL's answer, in plaintext and under MPC",
        .enabled(if: TestPostgres.canRun, TestPostgres.skipReason))
    func postgres() async throws {
        _ = try TestPostgres.requireURL()
        let csv = JoinFixture.csv()
        try await TestPostgres.withDatabase { url in
            var statements = [
                "CREATE TABLE jobs (person text, year integer, sector text, wage numeric(10,2))",
                "CREATE TABLE persons (person text, region text, adult boolean, age integer)",
                "CREATE TABLE accounts (person text, balance integer)",
            ]
            for (table, text) in csv {
                for line in text.split(separator: "\n").dropFirst() {
                    let values = line.split(separator: ",", omittingEmptySubsequences: false).map { field in
                        field.isEmpty
                            ? "NULL"
                            : Double(field) != nil || field == "true" || field == "false" ? String(field) : "'\(field)'"
                    }
                    statements.append("INSERT INTO \(table) VALUES (\(values.joined(separator: ", ")))")
                }
            }
            try await TestPostgres.execute(["BEGIN"] + statements + ["COMMIT"], url: url)
            for query in Self.queries {
                let plan = try QueryChecker.check(try JoinFixture.specification(query: query))
                let inputs = try JoinFixture.inputs(plan, csv: csv)
                let postgresQuery = query.replacing(/MEDIAN\(([\w.]+)\)/) {
                    "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY \($0.1))"
                }
                let expected = try await PostgresReferenceTests.postgres(postgresQuery, url: url)
                #expect(!expected.isEmpty, "\(query)")
                try PostgresReferenceTests.compare(
                    try PlainEngine.run(plan, on: inputs), expected, query: query, engine: "plain")
                try PostgresReferenceTests.compare(
                    try await MPCQueryEngine.run(plan, on: inputs, engine: Replicated3.Engine.self).0, expected,
                    query: query, engine: "mpc")
            }
        }
    }

    @Test(
        "MPC (passive and active) equals plaintext for joins, with exclusion rules on both sides and unmatched rows on both"
    )
    func mpcEqualsPlain() async throws {
        let rules = [
            ComputationTaskSpecification.QualityRule(
                table: "persons", name: "known age", rule: "age > 3", onFailure: .exclude),
            ComputationTaskSpecification.QualityRule(
                table: "jobs", name: "paid", rule: "wage > 10", onFailure: .exclude),
        ]
        let query =
            "SELECT p.region, COUNT(*) AS n, SUM(j.wage) AS s FROM jobs j JOIN persons p ON j.person = p.person GROUP BY p.region"
        let plan = try QueryChecker.check(try JoinFixture.specification(query: query, quality: rules))
        let inputs = try JoinFixture.inputs(plan, csv: JoinFixture.csv(seed: 9))
        let plain = try PlainEngine.run(plan, on: inputs)
        let mpc = try await MPCQueryEngine.run(plan, on: inputs, engine: Replicated3.Engine.self).0
        #expect(plain == mpc)
        // The data model, the join's scan and key comparison, and the group sums a few rows at a time, as on a table
        // larger than a batch.
        let sliced = try await MPCQueryEngine.run(plan, on: inputs, engine: Replicated3.Engine.self, sliceRows: 7).0
        #expect(sliced == plain)
        // The actively secure engine joins with the same protocol, every multiplication and sort checked.
        let active = EngineDescriptor(protocol: .replicated3, security: .active, majority: .honest, parties: 3)
        #expect(try await MPCQueryEngine.run(plan, on: inputs, engine: active).0 == plain)
        #expect(plain.excludedRows.keys.sorted() == ["jobs", "persons"])
        #expect(plain.excludedRows.values.allSatisfy { $0 > 0 })
        // Counted by hand: kept jobs whose person is a kept person.
        let persons = Set(
            JoinFixture.csv(seed: 9)["persons"]!.split(separator: "\n").dropFirst().compactMap { line -> Substring? in
                let f = line.split(separator: ",", omittingEmptySubsequences: false)
                return (Int(f[3]).map { $0 > 3 } ?? false) ? f[0] : nil
            })
        let matched = JoinFixture.csv(seed: 9)["jobs"]!.split(separator: "\n").dropFirst().filter { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            return persons.contains(f[0]) && (Double(f[3]).map { $0 > 10 } ?? false)
        }.count
        let total = plain.rows.compactMap { row -> Int64? in if case .integer(let n)? = row[1] { n } else { nil } }
            .reduce(0, +)
        #expect(Int(total) == matched)
    }

    @Test("a unique key repeated across two input parties' files aborts the task, in plaintext and under MPC")
    func repeatedUniqueKey() async throws {
        let query = "SELECT COUNT(*) AS n FROM jobs j JOIN persons p ON j.person = p.person"
        let plan = try QueryChecker.check(try JoinFixture.specification(query: query))
        var inputs = try JoinFixture.inputs(plan, csv: JoinFixture.csv())
        // A second office's file with one person the first one has too: each file alone is fine.
        let one = plan.inputs.firstIndex { $0.table.name == "persons" }!
        let second = try CSVTable.parse(
            "person,region,adult,age\nQ1,east,true,40\nP17,west,false,12\n", table: plan.inputs[one].table)
        inputs[one] = TableData.union([inputs[one], second])
        let reason =
            "key 'person' of table persons is declared unique, but at least two rows share a value: the task aborts"
        #expect(throws: QueryError(.qualityAbort, reason)) { try PlainEngine.run(plan, on: inputs) }
        await #expect(throws: QueryError(.qualityAbort, reason)) {
            try await MPCQueryEngine.run(plan, on: inputs, engine: Replicated3.Engine.self)
        }
        // The same check runs on a unique key without a join.
        let alone = try QueryChecker.check(try JoinFixture.specification(query: "SELECT COUNT(*) AS n FROM persons"))
        await #expect(throws: QueryError(.qualityAbort, reason)) {
            try await MPCQueryEngine.run(alone, on: [inputs[one]], engine: Replicated3.Engine.self)
        }
        let fine = try await MPCQueryEngine.run(
            alone, on: [try JoinFixture.inputs(alone, csv: JoinFixture.csv())[0]], engine: Replicated3.Engine.self)
        #expect(fine.0.rows == [[.integer(700)]])
    }

    @Test(
        "the checker refuses what it cannot join, naming why",
        arguments: [
            ("SELECT COUNT(*) AS n FROM jobs j JOIN jobs k ON j.person = k.person", "joined with itself"),
            ("SELECT COUNT(*) AS n FROM jobs j JOIN persons j ON j.person = j.person", "give one an alias"),
            ("SELECT COUNT(*) AS n FROM jobs j JOIN persons p ON j.year = p.age", "a join matches key columns"),
            ("SELECT COUNT(*) AS n FROM jobs j JOIN persons p ON j.person = j.person", "a key of each table"),
            ("SELECT COUNT(*) AS n FROM jobs j JOIN persons p ON j.person < p.person", "one equality of key columns"),
            (
                "SELECT COUNT(*) AS n FROM persons p JOIN accounts a ON p.person = a.person WHERE person = 1",
                "ambiguous"
            ),
            (
                "SELECT COUNT(*) AS n FROM jobs j JOIN persons p ON j.person = p.person WHERE x.age > 1",
                "no table is called 'x'"
            ),
            ("SELECT SUM(p.person) AS n FROM jobs j JOIN persons p ON j.person = p.person", "record-linkage key"),
            (
                "SELECT p.person, COUNT(*) AS n FROM jobs j JOIN persons p ON j.person = p.person GROUP BY p.person",
                "record-linkage key"
            ),
        ])
    func refused(_ query: String, _ reason: String) throws {
        do {
            _ = try QueryChecker.check(try JoinFixture.specification(query: query))
            Issue.record("accepted: \(query)")
        } catch let error as QueryError {
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test("neither key unique: a many-to-many join is refused")
    func manyToMany() throws {
        var cts = try JoinFixture.specification(
            query: "SELECT COUNT(*) AS n FROM jobs j JOIN persons p ON j.person = p.person")
        cts.tables[1].columns[0].unique = false
        #expect(throws: QueryError.self) { try QueryChecker.check(cts) }
        do { _ = try QueryChecker.check(cts) } catch let error as QueryError {
            #expect(error.message.contains("neither join key is declared unique"))
        }
    }

    @Test("CSV keys: letters and digits up to 32, every bad one reported, a repeat of a unique key named")
    func csvKeys() throws {
        let cts = try JoinFixture.specification(query: "SELECT COUNT(*) AS n FROM persons")
        let (persons, accounts) = (cts.table(named: "persons")!, cts.table(named: "accounts")!)
        let text =
            "person,region,adult,age\nP1,north,true,30\nP-2,east,true,30\n\(String(repeating: "x", count: 33)),east,true,3\nP1,west,false,9\n,west,false,9\n"
        let check = try CSVTable.check(text, table: persons, source: "p.csv")
        #expect(check.data == nil)
        #expect(check.total == 4)
        #expect(check.problems.map(\.line) == [3, 4, 5, 6])
        #expect(check.problems[0].reason.contains("'P-2' is not a key"))
        #expect(check.problems[2].reason == "key 'P1' repeats line 2, but the key is declared unique")
        // The CTS's 9,000 rows at most: 14 index bits, so keys keep 2·14 + 40 = 68 bits, as 2 words of 48.
        #expect(accounts.keyLayout == persons.keyLayout)
        #expect(accounts.keyLayout == KeyLayout(words: 2, wordBits: 48))
        #expect(accounts.storedColumnNames == ["person", "balance", "person#1"])
        // Equal keys encode equally, different ones differently; 32 characters are fine.
        let good = try CSVTable.parse(
            "person,balance\nP1,5\n\(String(repeating: "Z9", count: 16)),6\n", table: accounts)
        #expect(good.columns.count == 3)
        #expect(good.columns.allSatisfy { $0.count == 2 })
        let words = { (row: Int) in [good.columns[0][row], good.columns[2][row]] }
        #expect(words(0) != words(1))
        #expect(words(0).allSatisfy { (0..<(1 << 48)).contains($0) })
        let again = try CSVTable.parse("person,balance\nP1,7\n", table: accounts)
        #expect([again.columns[0][0], again.columns[2][0]] == words(0))
        // The layouts of large tasks (Specs/examples/students-and-taxes.json: 1.05·10^7 rows).
        #expect(KeyLayout(rows: 1_100_000) == KeyLayout(words: 2, wordBits: 41))
        #expect(KeyLayout(rows: 10_500_000) == KeyLayout(words: 3, wordBits: 38))
        #expect(KeyLayout(rows: 100_000_000).keyBits >= 2 * 27 + 40)
    }
}
