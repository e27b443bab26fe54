import ConsortMPC
import ConsortQuery
import ConsortSpec
import Foundation

/// Three tables that join on the personal id `person`: `jobs` (many rows per person, some for persons nobody
/// else knows), `persons` (the id unique; some persons have no job) and `accounts` (unique too: a 1:1 join with
/// `persons`). A wage and an age may be missing (NULL).
enum JoinFixture {
    static func decimal(_ units: Int64, _ scale: Int) -> FixedDecimal { FixedDecimal(units: units, scale: scale) }

    static let jobs = ComputationTaskSpecification.Table(
        name: "jobs", maxRows: 5_000,
        columns: [
            .init(name: "person", type: .key),
            .init(name: "year", type: .integer(min: 2010, max: 2020)),
            .init(name: "sector", type: .category(values: ["farming", "industry", "services"])),
            .init(
                name: "wage", type: .decimal(scale: 2, min: decimal(0, 2), max: decimal(500_000, 2)), nullable: true),
        ])
    static let persons = ComputationTaskSpecification.Table(
        name: "persons", maxRows: 2_000,
        columns: [
            .init(name: "person", type: .key, unique: true),
            .init(name: "region", type: .category(values: ["north", "east", "south", "west"])),
            .init(name: "adult", type: .boolean),
            .init(name: "age", type: .integer(min: 0, max: 100), nullable: true),
        ])
    static let accounts = ComputationTaskSpecification.Table(
        name: "accounts", maxRows: 2_000,
        columns: [
            .init(name: "person", type: .key, unique: true),
            .init(name: "balance", type: .integer(min: -10_000, max: 10_000)),
        ])

    static func specification(query: String, quality: [ComputationTaskSpecification.QualityRule] = [])
        throws -> ComputationTaskSpecification
    {
        var cts = try QueryFixture.specification(query: query, quality: quality)
        cts.tables = [Self.jobs, Self.persons, Self.accounts]
        return cts
    }

    /// CSV text of each table: 700 persons (P0…P699), 2,000 jobs of persons P0…P899 (P700… are unknown to
    /// `persons`), 600 accounts of persons P100…P699 and A0…A49 (unknown).
    static func csv(seed: UInt64 = 5) -> [String: String] {
        var generator = SplitMix64(seed: seed)
        var persons = ["person,region,adult,age"]
        for i in 0..<700 {
            let age = Int.random(in: 0...100, using: &generator)
            let region = ["north", "east", "south", "west"].randomElement(using: &generator)!
            // About one age in ten is missing (NULL).
            let known = Int.random(in: 0..<10, using: &generator) > 0
            persons.append("P\(i),\(region),\(age >= 18),\(known ? String(age) : "")")
        }
        var jobs = ["person,year,sector,wage"]
        for _ in 0..<2_000 {
            let person = Int.random(in: 0..<900, using: &generator)
            let sector = ["farming", "industry", "services"].randomElement(using: &generator)!
            let wage = FixedDecimal(units: Int64.random(in: 0...500_000, using: &generator), scale: 2)
            let known = Int.random(in: 0..<10, using: &generator) > 0
            jobs.append(
                "P\(person),\(Int.random(in: 2010...2020, using: &generator)),\(sector),\(known ? wage.description : "")"
            )
        }
        var accounts = ["person,balance"]
        for key in (100..<700).map({ "P\($0)" }) + (0..<50).map({ "A\($0)" }) {
            accounts.append("\(key),\(Int.random(in: -10_000...10_000, using: &generator))")
        }
        return ["jobs": jobs, "persons": persons, "accounts": accounts].mapValues {
            $0.joined(separator: "\n") + "\n"
        }
    }

    /// The rows of each table the plan reads, in the plan's order.
    static func inputs(_ plan: QueryPlan, csv: [String: String]) throws -> [TableData] {
        try plan.inputs.map { try CSVTable.parse(csv[$0.table.name]!, table: $0.table) }
    }
}
