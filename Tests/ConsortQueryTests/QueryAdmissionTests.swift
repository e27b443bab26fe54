import ConsortMPC
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Testing

/// `QueryAdmission` is the one decision every tool and node makes about a query; here it is held against what the
/// computation itself does. Widths inside the MPC program follow the table's `maxRows`, not the rows present, so a
/// small run at a large `maxRows` refuses exactly what a full one would.
@Suite("Query admission")
struct QueryAdmissionTests {
    static func specification(maxRows: Int, scale: Int, maxUnits: Int64, query: String) throws
        -> ComputationTaskSpecification
    {
        var cts = try QueryFixture.specification(query: query, maxRows: maxRows)
        cts.tables = [
            .init(
                name: "people", maxRows: maxRows,
                columns: [
                    .init(name: "region", type: .category(values: ["north", "east", "south", "west"])),
                    .init(
                        name: "x",
                        type: .decimal(
                            scale: scale, min: FixedDecimal(units: 0, scale: scale),
                            max: FixedDecimal(units: maxUnits, scale: scale))),
                    .init(name: "y", type: .integer(min: 0, max: 100)),
                ])
        ]
        return cts
    }

    @Test("a query is admitted exactly when the replicated engine computes it: tables and aggregates up to 10^9 rows")
    func admissionAgreesWithTheComputation() async throws {
        var admitted = 0
        var refused = 0
        for maxRows in [1_000, 2_000_000, 100_000_000, 1_000_000_000] {
            for (scale, maxUnits) in [(0, Int64(500)), (2, 50_000), (2, 1_000_000_000), (6, 1_000_000_000_000_000)] {
                for aggregate in [
                    "SUM(x)", "AVG(x)", "MEDIAN(x)", "STDDEV(x)", "VAR_SAMP(x)", "CORR(x, y)", "REGR_SLOPE(y, x)",
                ] {
                    let query = "SELECT region, COUNT(*) AS n, \(aggregate) AS a FROM people GROUP BY region"
                    let cts = try Self.specification(maxRows: maxRows, scale: scale, maxUnits: maxUnits, query: query)
                    let label = "\(aggregate), maxRows \(maxRows), x decimal(scale \(scale), max \(maxUnits) units)"
                    let admission: (any Error)?
                    do {
                        _ = try await QueryAdmission.admit(cts)
                        admission = nil
                    } catch {
                        admission = error
                    }
                    // What the computation does: the checker's plan (when it has one) run by the replicated engine.
                    let computation: (any Error)?
                    do {
                        let plan = try QueryChecker.check(cts)
                        let data = try CSVTable.parse(
                            try DataSynth.csv(table: cts.tables[0], rows: 64, seed: 3), table: cts.tables[0])
                        _ = try await MPCQueryEngine.run(plan, on: data, engine: Replicated3.Engine.self)
                        computation = nil
                    } catch {
                        computation = error
                    }
                    #expect(
                        (admission == nil) == (computation == nil),
                        "\(label): admission \(admission.map { "\($0)" } ?? "ok"), computation \(computation.map { "\($0)" } ?? "ok")"
                    )
                    if admission == nil { admitted += 1 } else { refused += 1 }
                }
            }
        }
        // The grid reaches both sides of the line.
        #expect(admitted >= 20 && refused >= 10, "admitted \(admitted), refused \(refused)")
    }
}
