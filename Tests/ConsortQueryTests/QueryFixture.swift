import ConsortQuery
import ConsortSpec
import ConsortTesting
import Foundation

/// The `people` table of the query tests: two categories, a boolean, integers and decimals (one with negatives).
enum QueryFixture {
    static let rows = 3_000

    static func specification(
        query: String, quality: [ComputationTaskSpecification.QualityRule] = [], minGroupSize: Int = 1,
        maxRows: Int = 5_000
    ) throws -> ComputationTaskSpecification {
        let document = try SpecificationDocument(bytes: Array(TestSpecifications.householdIncome().utf8))
        guard var cts = try document.specification().0 else { throw QueryError(.syntax, "the test CTS does not read") }
        cts.tables = [
            ComputationTaskSpecification.Table(
                name: "people", maxRows: maxRows,
                columns: [
                    .init(name: "region", type: .category(values: ["north", "east", "south", "west"])),
                    .init(name: "sex", type: .category(values: ["f", "m"])),
                    .init(name: "employed", type: .boolean),
                    .init(name: "age", type: .integer(min: 0, max: 100)),
                    .init(name: "hours", type: .integer(min: 0, max: 80)),
                    .init(
                        name: "income",
                        type: .decimal(
                            scale: 2, min: FixedDecimal(units: 0, scale: 2), max: FixedDecimal(units: 100_000, scale: 2)
                        )),
                    .init(
                        name: "score",
                        type: .decimal(
                            scale: 1, min: FixedDecimal(units: -500, scale: 1), max: FixedDecimal(units: 500, scale: 1))
                    ),
                ])
        ]
        cts.quality = quality
        cts.query = query
        cts.disclosure = .init(minGroupSize: minGroupSize)
        return cts
    }

    static func data(seed: UInt64 = 42, rows: Int = Self.rows) throws -> (csv: String, table: TableData) {
        let table = try self.specification(query: "SELECT COUNT(*) AS n FROM people").tables[0]
        let csv = try DataSynth.csv(table: table, rows: rows, seed: seed)
        return (csv, try CSVTable.parse(csv, table: table))
    }
}
