import ConsortAudit
import ConsortTesting
import Foundation
import Logging
import PostgresNIO
import Testing

/// The lane's reset path. (The race that crashed a test run — a connect abandoned by a reset completing while a new
/// operation holds a fresh connection — is not reproduced here: it needs a connect slower than the deadline.)
@Suite("PostgreSQL lanes")
struct PostgresLaneTests {
    @Test(
        "an operation cut off by the lane's deadline, and those after it: each works, no connection is released open",
        .enabled(if: TestPostgres.canRun, TestPostgres.skipReason))
    func abandonedOperation() async throws {
        try await TestPostgres.withDatabase { url in
            let lane = PostgresLane(
                configuration: try PostgresAddress(url).configuration, logger: Logger(label: "consort.test.lane"),
                timeout: .milliseconds(500), name: "test")
            // Stuck past its deadline: the lane resets and drops its connection under the operation.
            await #expect(throws: (any Error).self) {
                try await lane.run("sleeping") { connection in
                    try await connection.query("SELECT pg_sleep(2)", logger: Logger(label: "consort.test.lane"))
                        .collect().count
                }
            }
            // The next operations, while the abandoned one is still out there, then after it ended.
            for pause in [0, 3] {
                try await Task.sleep(for: .seconds(pause))
                let rows = try await lane.run("after", timeout: .seconds(30)) { connection in
                    try await connection.query("SELECT 1", logger: Logger(label: "consort.test.lane")).collect().count
                }
                #expect(rows == 1)
            }
            await lane.close()
        }
    }
}
