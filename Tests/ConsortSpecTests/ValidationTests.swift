import ConsortPKI
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

@Suite("CTS reading and validation")
struct ValidationTests {
    static let fixedNow = ISO8601DateFormatter().date(from: "2026-11-22T00:00:00Z")!

    static func diagnostics(_ text: String, now: Date = Date(), members: [MemberID: Set<MemberRole>]? = nil) throws
        -> [Diagnostic]
    {
        let document = try SpecificationDocument(bytes: Array(text.utf8))
        return try document.specification(now: now, members: members, engines: EngineRegistry.shared).1.filter {
            $0.severity == .error
        }
    }

    @Test(
        "the examples validate",
        arguments: ["household-income", "gender-pay-gap", "mno-commuting", "students-and-taxes"])
    func examples(_ name: String) throws {
        let url = TestData.repositoryRoot.appendingPathComponent("Specs/examples/\(name).json")
        let document = try SpecificationDocument(bytes: Array(try Data(contentsOf: url)))
        let cts = try document.validSpecification(now: Self.fixedNow)
        #expect(cts.parties.computing.count == 3)
        let summary = CTSSummary.render(cts, taskID: document.taskID)
        #expect(summary.contains("PARTIES") && summary.contains(cts.query.prefix(20)))
    }

    /// Each mutation of the test CTS and the diagnostic (pointer and message fragment) it must produce.
    static let mutations: [(String, String, String, String)] = [
        ("unknown member", "\"eurostat\"", "\"euro-stat\"", "/parties/outputs/0/member"),
        ("member listed twice", "{\"member\": \"cp-b\"}", "{\"member\": \"cp-a\"}", "/parties/computing/1/member"),
        (
            "table with no input party", "\"tables\": {",
            "\"tables\": {\"persons\": {\"maxRows\": 10, \"columns\": [{\"name\": \"x\", \"type\": \"boolean\"}]},",
            "/tables/persons"
        ),
        (
            "input party naming an unknown table", "{\"member\": \"nso-south\", \"table\": \"households\"}",
            "{\"member\": \"nso-south\", \"table\": \"homes\"}", "/parties/inputs/1/table"
        ),
        (
            "category with duplicate values", "\"north\", \"east\", \"south\", \"west\"",
            "\"north\", \"east\", \"south\", \"east\"", "/tables/households/columns/0/values/3"
        ),
        ("min > max", "\"min\": 0, \"max\": 120", "\"min\": 121, \"max\": 120", "/tables/households/columns/1"),
        ("unsupported engine", "\"majority\": \"honest\"", "\"majority\": \"dishonest\"", "/engine"),
        (
            "mayHalt naming a non-member", "\"mayHalt\": [\"cp-a\",", "\"mayHalt\": [\"stranger\", \"cp-a\",",
            "/parties/mayHalt/0"
        ),
        ("unknown field", "\"query\":", "\"owner\": \"x\", \"query\":", "/owner"),
        ("wrong type", "\"maxRows\": 1000000", "\"maxRows\": \"many\"", "/tables/households/maxRows"),
        (
            "decimal with too many digits", "\"max\": 10000000}", "\"max\": 10000000.001}",
            "/tables/households/columns/2/max"
        ),
        ("bad task id", "\"id\": \"hh-income-test\"", "\"id\": \"HH Income\"", "/id"),
        (
            "quality rule on unknown table", "{\"table\": \"households\", \"name\": \"adult\"",
            "{\"table\": \"people\", \"name\": \"adult\"", "/quality/0/table"
        ),
        (
            "four computing parties", "{\"member\": \"cp-c\"}]", "{\"member\": \"cp-c\"}, {\"member\": \"cp-d\"}]",
            "/parties/computing"
        ),
    ]

    @Test("each problem is reported with its JSON pointer", arguments: 0..<14)
    func mutation(_ index: Int) throws {
        let (name, find, replace, pointer) = Self.mutations[index]
        let original = TestSpecifications.householdIncome()
        #expect(original.contains(find), "\(name): fixture changed")
        var members: [MemberID: Set<MemberRole>] = [:]
        for (id, roles) in TestSpecifications.householdMembers + [("cp-d", ["compute"])] {
            members[try MemberID(id)] = Set(roles.compactMap(MemberRole.init(rawValue:)))
        }
        let diagnostics = try Self.diagnostics(original.replacingOccurrences(of: find, with: replace), members: members)
        #expect(diagnostics.contains { $0.pointer == pointer }, "\(name): \(diagnostics)")
        #expect(try Self.diagnostics(original, members: members).isEmpty)
    }

    @Test("all problems are reported together")
    func collectsAll() throws {
        let text = TestSpecifications.householdIncome()
            .replacingOccurrences(of: "\"min\": 0, \"max\": 120", with: "\"min\": 121, \"max\": 120")
            .replacingOccurrences(of: "{\"member\": \"cp-b\"}", with: "{\"member\": \"cp-a\"}")
            .replacingOccurrences(of: "\"majority\": \"honest\"", with: "\"majority\": \"dishonest\"")
        #expect(try Self.diagnostics(text).count >= 3)
    }

    @Test("deadlines out of order or in the past")
    func deadlines() throws {
        let text = TestSpecifications.householdIncome(now: Date())
        let later = try Self.diagnostics(text, now: Date().addingTimeInterval(5 * 86_400))
        #expect(later.contains { $0.pointer == "/deadlines/inputs" && $0.message.contains("has passed") })
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.contains("\"deadlines\"") else { return String(line) }
            return
                "  \"deadlines\": {\"inputs\": \"2099-01-02T00:00:00Z\", \"compute\": \"2099-01-01T00:00:00Z\", \"outputs\": \"2099-01-03T00:00:00Z\"},"
        }
        let swapped = lines.joined(separator: "\n")
        #expect(swapped != text)
        #expect(try Self.diagnostics(swapped).contains { $0.pointer == "/deadlines/compute" })
    }

    @Test("timestamps: RFC 3339 in UTC, every field in range, nothing else")
    func timestamps() throws {
        let midnight = try #require(DocumentReader.parseTimestamp("2026-12-01T00:00:00Z"))
        #expect(midnight.timeIntervalSince1970 == 1_796_083_200)
        #expect(DocumentReader.formatTimestamp(midnight) == "2026-12-01T00:00:00Z")
        #expect(DocumentReader.parseTimestamp("2026-12-01T00:00:00.5Z") == midnight + 0.5)
        let nanos = try #require(DocumentReader.parseTimestamp("2026-12-01T00:00:00.123456789Z"))
        #expect(abs(nanos.timeIntervalSince(midnight) - 0.123456789) < 1e-6)
        #expect(DocumentReader.parseTimestamp("2028-02-29T23:59:59Z") != nil, "a leap day")
        for refused in [
            "2027-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-01T24:00:00Z",
            "2026-12-01T00:60:00Z", "2026-12-01T00:00:60Z", "2026-12-1T00:00:00Z", "2026-12-01t00:00:00Z",
            " 2026-12-01T00:00:00Z", "2026-12-01T00:00:00", "2026-12-01T00:00:00+00:00", "2026-12-01T00:00:00.Z",
            "2026-12-01T00:00:00.1234567890Z", "2026-12-01T00:00:00.12aZ", "2026-12-01 00:00:00Z",
        ] {
            #expect(DocumentReader.parseTimestamp(refused) == nil, "\(refused)")
        }
    }

    @Test("decimals are read exactly")
    func decimals() throws {
        let cts = try SpecificationDocument(bytes: Array(TestSpecifications.householdIncome().utf8))
            .validSpecification()
        guard
            case .decimal(let scale, let min, let max) = try #require(
                cts.table(named: "households")?.column(named: "income")
            ).type
        else {
            Issue.record("income is not a decimal")
            return
        }
        #expect(scale == 2 && min.units == 0 && max.units == 1_000_000_000 && max.description == "10000000.00")
        #expect(FixedDecimal(parsing: "-0.05", scale: 2)?.units == -5)
        #expect(FixedDecimal(parsing: "1.234", scale: 2) == nil)
        #expect(FixedDecimal(parsing: "1e3", scale: 2) == nil)
        for malformed in ["", "-", ".5", "1.", "--1", "+1", "1.2.3", " 1", "1,5", "١٢"] {
            #expect(FixedDecimal(parsing: malformed, scale: 2) == nil, "\(malformed)")
        }
        #expect(FixedDecimal(parsing: "007.5", scale: 2)?.units == 750)
        #expect(FixedDecimal(parsing: "9007199254740991", scale: 0)?.units == (1 << 53) - 1)
        #expect(FixedDecimal(parsing: "9007199254740992", scale: 0) == nil)
        #expect(FixedDecimal(parsing: "90071992547409.92", scale: 2) == nil)
        #expect(FixedDecimal(parsing: "90071992547409.9", scale: 3) == nil)
        #expect(FixedDecimal(parsing: "99999999999999999999999", scale: 0) == nil)
    }
}
