import ConsortMPC
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Testing

/// The query compiler runs on any engine behind `MPCEngine`: a second, deliberately simple engine (one party, values
/// in the clear) gives exactly the replicated engine's results, and the cost estimate the compiler derives from an
/// engine's cost model matches what the replicated engine sends.
@Suite("The engine seam")
struct EngineSeamTests {
    static let rows = 600

    static func plans() throws -> [(String, QueryPlan)] {
        var plans = try PostgresReferenceTests.queries.map {
            ($0, try QueryChecker.check(try QueryFixture.specification(query: $0)))
        }
        let rule = ComputationTaskSpecification.QualityRule(
            table: "people", name: "plausible", rule: "hours <= 60 OR NOT employed", onFailure: .exclude)
        let query =
            "SELECT region, sex, COUNT(*) AS n, AVG(income) AS a FROM people WHERE age >= 20 GROUP BY region, sex"
        plans.append(
            (
                query + " (quality rule, suppression)",
                try QueryChecker.check(try QueryFixture.specification(query: query, quality: [rule], minGroupSize: 40))
            ))
        return plans
    }

    @Test("a query of sums read 97 rows at a time gives the whole table's result, its aborts included")
    func chunkedRuns() async throws {
        let (_, data) = try QueryFixture.data(seed: 5, rows: Self.rows)
        let chunkable = try Self.plans().filter { MPCQueryProgram<Replicated3.Engine>.runsInChunks($0.1) }
        #expect(chunkable.count >= 5, "\(chunkable.map(\.0))")
        for (query, plan) in chunkable {
            let whole = try await MPCQueryEngine.run(plan, on: [data], engine: Replicated3.Engine.self).0
            let (chunked, timings) = try await MPCQueryEngine.run(
                plan, on: [data], engine: Replicated3.Engine.self, chunkRows: 97)
            #expect(chunked == whole && !whole.rows.isEmpty, "\(query)")
            // Seven chunks, each with the rounds of the row-wise part: more rounds than one pass over the table.
            #expect(timings.rounds > 7, "\(query)")
        }
        let rule = ComputationTaskSpecification.QualityRule(
            table: "people", name: "working-age", rule: "age >= 18", onFailure: .abort)
        let plan = try QueryChecker.check(
            try QueryFixture.specification(query: "SELECT COUNT(*) AS n FROM people", quality: [rule]))
        for chunkRows in [nil, 97] {
            let error = await #expect(throws: QueryError.self) {
                try await MPCQueryEngine.run(plan, on: [data], engine: Replicated3.Engine.self, chunkRows: chunkRows)
            }
            #expect(error?.description.contains("working-age") == true, "\(String(describing: error))")
        }
    }

    @Test("the reference engine gives exactly the replicated engine's result on every reference query")
    func sameResults() async throws {
        let (_, data) = try QueryFixture.data(seed: 5, rows: Self.rows)
        for (query, plan) in try Self.plans() {
            let reference = try await MPCQueryEngine.run(plan, on: data, engine: ReferenceEngine.self).0
            let replicated = try await MPCQueryEngine.run(plan, on: data, engine: Replicated3.Engine.self).0
            #expect(reference == replicated, "\(query)")
            #expect(!reference.rows.isEmpty, "\(query)")
        }
    }

    @Test("the cost estimate bounds what the replicated engine sends, and equals it where every group is populated")
    func costEstimate() async throws {
        let (_, data) = try QueryFixture.data(seed: 5, rows: Self.rows)
        var exact = 0
        // Sorts (percentiles) cost what their random order makes them cost: the estimate gives their expectation.
        for (query, plan) in try Self.plans() where !query.contains("PERCENTILE") && !query.contains("MEDIAN") {
            let (result, measured) = try await MPCQueryEngine.run(plan, on: data, engine: Replicated3.Engine.self)
            let estimate = try await plan.costEstimate(on: Replicated3.Engine.self, rows: data.rows)
            #expect(
                measured.rounds <= estimate.rounds && measured.bytes <= estimate.bytes,
                "\(query): measured \(measured.rounds) rounds, \(measured.bytes) bytes; estimate \(estimate)")
            // Every group present, none suppressed: the run computes every final the estimate priced.
            if result.suppressed == 0, result.rows.allSatisfy({ $0.allSatisfy { $0 != nil } }) {
                #expect(
                    measured.rounds == estimate.rounds && measured.bytes == estimate.bytes,
                    "\(query): measured \(measured.rounds) rounds, \(measured.bytes) bytes; estimate \(estimate)")
                exact += 1
            }
        }
        #expect(exact >= 20, "too few queries had every group populated: \(exact)")
    }

    @Test("query check prices a table of 10^8 rows without holding it")
    func estimateAtScale() async throws {
        let plan = try QueryChecker.check(
            try QueryFixture.specification(
                query:
                    "SELECT region, sex, COUNT(*) AS n, AVG(hours) AS a, MAX(age) AS m FROM people GROUP BY region, sex",
                maxRows: 100_000_000))
        let start = ContinuousClock.now
        let largest = try await plan.costEstimate(on: Replicated3.Engine.self)
        #expect(ContinuousClock.now - start < .seconds(30), "the estimate must not touch every row")
        // Bytes grow linearly with the rows (64 times the rows, 64 times the bytes, give or take the few comparisons
        // whose width grows with the row count); the MAX tournament adds a round per doubling.
        let small = try await plan.costEstimate(on: Replicated3.Engine.self, rows: 1 << 20)
        let large = try await plan.costEstimate(on: Replicated3.Engine.self, rows: 1 << 26)
        #expect(large.bytes > 63 * small.bytes && large.bytes < 66 * small.bytes, "\(small) → \(large)")
        #expect(large.rounds > small.rounds && largest.bytes > large.bytes, "\(small) → \(large) → \(largest)")
    }
}
