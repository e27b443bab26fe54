import ConsortTesting
import Foundation
import PostgresNIO
import Testing

/// `consort demo`, the README's main command, as a user runs it: a whole consortium end to end.
@Suite("consort demo", .serialized)
struct DemoTests {
    /// The demo chooses its nodes' ports in its own process: a range apart from the one this process draws from
    /// (scripts/test gives this process 20000–29999), or a test's node may take a port the demo chose; the browser
    /// walk-through's demo has a range of its own, as it may run at the same time.
    static let ownPorts = ["CONSORT_FREE_PORTS": "30000-31349"]
    static let walkthroughPorts = ["CONSORT_FREE_PORTS": "31350-32700"]

    @Test(
        "the demo computes the result, which equals the plaintext, and the auditor verifies every node's log (SQLite)")
    func onSQLite() async throws {
        let demo = try await Subprocess.output(
            try TestEnvironment.consortExecutable().path, ["demo", "--records", "3000"],
            environment: DemoTests.ownPorts)
        #expect(demo.succeeded, "\(demo.stdout) \(demo.stderr)")
        #expect(demo.stdout.contains("gives the same result: yes"), "\(demo.stdout)")
        #expect(demo.stdout.contains("audit verified: 3 node(s) agree on 1 task(s)"), "\(demo.stdout)")
        #expect(demo.stdout.contains("stores: SQLite"), "\(demo.stdout)")
    }

    @Test("the demo's record linkage: two registers joined on a secret key by three nodes, actively secure")
    func join() async throws {
        let demo = try await Subprocess.output(
            try TestEnvironment.consortExecutable().path,
            ["demo", "--join", "--records", "3000", "--security", "active"], environment: DemoTests.ownPorts)
        #expect(demo.succeeded, "\(demo.stdout) \(demo.stderr)")
        #expect(demo.stdout.contains("JOIN students s ON t.person = s.person"), "\(demo.stdout)")
        #expect(demo.stdout.contains("nso-south: 300 rows of students"), "\(demo.stdout)")
        #expect(demo.stdout.contains("gives the same result: yes"), "\(demo.stdout)")
        #expect(demo.stdout.contains("audit verified: 3 node(s) agree on 1 task(s)"), "\(demo.stdout)")
    }

    @Test(
        "the demo on PostgreSQL: a database per node, dropped afterwards",
        .enabled(if: TestPostgres.canRun, TestPostgres.skipReason))
    func onPostgres() async throws {
        let url = try TestPostgres.requireURL()
        let demo = try await Subprocess.output(
            try TestEnvironment.consortExecutable().path, ["demo", "--records", "3000", "--database", url],
            environment: DemoTests.ownPorts)
        #expect(demo.succeeded, "\(demo.stdout) \(demo.stderr)")
        #expect(
            demo.stdout.contains("stores: PostgreSQL")
                && demo.stdout.contains("audit verified: 3 node(s) agree on 1 task(s)"), "\(demo.stdout)")
        let left = try await TestPostgres.withClient(url: url) { client in
            var names: [String] = []
            for try await name in try await client.query(
                "SELECT datname FROM pg_database WHERE datname LIKE 'consort_demo_%'"
            ).decode(String.self) {
                names.append(name)
            }
            return names
        }
        #expect(left.isEmpty, "the demo left databases behind: \(left)")
    }
}
