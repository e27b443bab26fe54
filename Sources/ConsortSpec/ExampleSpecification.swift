import Foundation

/// The household-income task of `Specs/examples/household-income.json` as JSON text with deadlines relative to a
/// given time: for `consort demo` and for tests, which need deadlines ahead of them.
package enum ExampleSpecification {
    /// The household-income query of the demo (the example's).
    package static let householdQuery =
        "SELECT region, COUNT(*) AS n, AVG(income) AS mean_income, AVG(age) AS mean_age, STDDEV(age) AS sd_age FROM households GROUP BY region"

    /// Deadlines 1, 2 and 30 days ahead: the usual.
    package static let usualDeadlines: (inputs: TimeInterval, compute: TimeInterval, outputs: TimeInterval) = (
        86_400, 2 * 86_400, 30 * 86_400
    )

    /// The household-income CTS as JSON text, with deadlines `deadlines` seconds after `now`.
    package static func householdIncome(
        now: Date = Date(), query: String? = nil, minGroupSize: Int = 5, id: String = "hh-income-test",
        title: String = "Household income by region (test)",
        deadlines: (inputs: TimeInterval, compute: TimeInterval, outputs: TimeInterval) = usualDeadlines,
        retention: ComputationTaskSpecification.Retention.InputRetention = .purgeAfterCompute,
        security: EngineDescriptor.Security = .passive, maxRows: Int = 1_000_000
    ) -> String {
        let after = Self.timestamps(after: now)
        let query = query ?? "SELECT region, COUNT(*) AS n, AVG(income) AS mean_income FROM households GROUP BY region"
        return """
            {
              "consort": "cts/1",
              "id": \(String(reflecting: id)),
              "title": \(String(reflecting: title)),
              "purpose": "Regional income statistics without pooling microdata",
              "parties": {
                "inputs": [{"member": "nso-north", "table": "households"}, {"member": "nso-south", "table": "households"}],
                "outputs": [{"member": "eurostat"}],
                "computing": [{"member": "cp-a"}, {"member": "cp-b"}, {"member": "cp-c"}],
                "auditors": [{"member": "auditor"}],
                "mayHalt": ["cp-a", "cp-b", "cp-c", "nso-north", "nso-south"]
              },
              "tables": {
                "households": {
                  "maxRows": \(maxRows),
                  "columns": [
                    {"name": "region", "type": "category", "values": ["north", "east", "south", "west"]},
                    {"name": "age", "type": "integer", "min": 0, "max": 120},
                    {"name": "income", "type": "decimal", "scale": 2, "min": 0, "max": 10000000}
                  ]
                }
              },
              "quality": [{"table": "households", "name": "adult", "rule": "age >= 16", "onFailure": "exclude"}],
              "query": \(String(reflecting: query)),
              "disclosure": {"minGroupSize": \(minGroupSize)},
              "engine": {"protocol": "replicated3", "security": "\(security.rawValue)", "majority": "honest"},
              "deadlines": {"inputs": "\(after(deadlines.inputs))", "compute": "\(after(deadlines.compute))", "outputs": "\(after(deadlines.outputs))"},
              "retention": {"inputs": "\(retention.rawValue)"}
            }
            """
    }

    /// The record-linkage query of `consort demo --join` (Specs/examples/students-and-taxes.json's).
    package static let linkageQuery =
        "SELECT s.field, COUNT(*) AS n, AVG(t.income) AS mean_income FROM taxes t JOIN students s ON t.person = s.person WHERE t.year = 2015 GROUP BY s.field"

    /// A record-linkage CTS as JSON text: nso-north's tax records (`taxes`, up to `taxRows`) joined on the personal
    /// id with nso-south's student register (`students`, the id unique, up to `studentRows`), deadlines as above.
    package static func registerLinkage(
        now: Date = Date(), taxRows: Int, studentRows: Int, id: String = "linkage-test",
        title: String = "Working students by field (test)",
        deadlines: (inputs: TimeInterval, compute: TimeInterval, outputs: TimeInterval) = usualDeadlines,
        security: EngineDescriptor.Security = .passive
    ) -> String {
        let after = Self.timestamps(after: now)
        return """
            {
              "consort": "cts/1",
              "id": \(String(reflecting: id)),
              "title": \(String(reflecting: title)),
              "purpose": "Whether students earn an income, by field of study, without pooling either register",
              "parties": {
                "inputs": [{"member": "nso-north", "table": "taxes"}, {"member": "nso-south", "table": "students"}],
                "outputs": [{"member": "eurostat"}],
                "computing": [{"member": "cp-a"}, {"member": "cp-b"}, {"member": "cp-c"}],
                "auditors": [{"member": "auditor"}],
                "mayHalt": ["cp-a", "cp-b", "cp-c", "nso-north", "nso-south"]
              },
              "tables": {
                "taxes": {
                  "maxRows": \(taxRows),
                  "columns": [
                    {"name": "person", "type": "key"},
                    {"name": "year", "type": "integer", "min": 2000, "max": 2030},
                    {"name": "income", "type": "decimal", "scale": 2, "min": 0, "max": 1000000}
                  ]
                },
                "students": {
                  "maxRows": \(studentRows),
                  "columns": [
                    {"name": "person", "type": "key", "unique": true},
                    {"name": "field", "type": "category", "values": ["education", "humanities", "social", "science", "engineering", "health", "services"]},
                    {"name": "graduated", "type": "boolean"}
                  ]
                }
              },
              "quality": [],
              "query": \(String(reflecting: Self.linkageQuery)),
              "disclosure": {"minGroupSize": 5},
              "engine": {"protocol": "replicated3", "security": "\(security.rawValue)", "majority": "honest"},
              "deadlines": {"inputs": "\(after(deadlines.inputs))", "compute": "\(after(deadlines.compute))", "outputs": "\(after(deadlines.outputs))"},
              "retention": {"inputs": "purge-after-compute"}
            }
            """
    }

    /// The timestamp (UTC, seconds) `seconds` after `now`.
    private static func timestamps(after now: Date) -> (TimeInterval) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return { formatter.string(from: now.addingTimeInterval($0)) }
    }
}
