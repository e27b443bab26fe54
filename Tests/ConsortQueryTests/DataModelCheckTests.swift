import ConsortMPC
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

/// The CTS's data model is a promise the computing parties keep on the shares themselves: a stored value outside a
/// column's range — whatever ring element an input party crafted — aborts the task, naming the column, under MPC and
/// in plaintext alike; values on the bounds pass.
@Suite("Data model checked on the shares")
struct DataModelCheckTests {
    static func household() throws -> (ComputationTaskSpecification, TableData) {
        let cts = try #require(
            try SpecificationDocument(bytes: Array(TestSpecifications.householdIncome().utf8)).specification().0)
        let table = try #require(cts.table(named: "households"))
        let data = try CSVTable.parse(try DataSynth.csv(table: table, rows: 40, seed: 5), table: table)
        return (cts, data)
    }

    @Test(
        "values just outside a column's range, and the ring's extremes, abort naming the column; the bounds pass",
        arguments: [
            // (column, stored value, outside): region is a category of 4, age 0...120, income 0...10^7 × 100.
            (0, 3, false), (0, 4, true), (0, -1, true), (1, 0, false), (1, 120, false), (1, 121, true),
            (1, -1, true), (1, Int64.min, true), (1, Int64.max, true), (2, 1_000_000_000, false),
            (2, 1_000_000_001, true), (2, Int64.max - 5, true), (2, Int64.min + 3, true),
        ] as [(Int, Int64, Bool)])
    func bounds(column: Int, value: Int64, outside: Bool) async throws {
        let (cts, clean) = try Self.household()
        let plan = try QueryChecker.check(cts)
        var data = clean
        data.columns[column][17] = value
        let name = ["region", "age", "income"][column]
        for engine in ["mpc", "plain"] {
            do {
                if engine == "mpc" {
                    _ = try await MPCQueryEngine.run(plan, on: [data], engine: cts.engine)
                } else {
                    _ = try PlainEngine.run(plan, on: data)
                }
                #expect(!outside, "\(engine): \(name) = \(value) passed")
            } catch let error as QueryError {
                #expect(outside, "\(engine): \(name) = \(value): \(error)")
                #expect(
                    error.message.contains("outside the CTS's data model: column '\(name)'"),
                    "\(engine): \(error.message)")
            }
        }
    }

    @Test("query check states the check among what the computation reveals")
    func disclosed() throws {
        let (cts, _) = try Self.household()
        let plan = try QueryChecker.check(cts)
        #expect(plan.leakage.contains { $0.contains("whether any row is outside the CTS's data model") })
    }
}
