import ConsortAudit
import ConsortClient
import ConsortNode
import ConsortPKI
import ConsortSpec
import ConsortTesting
import Foundation
import Logging
import SQLiteNIO
import Testing

/// `GET /v1/tasks` reads a per-member index in pages, not every CTS document on every request.
@Suite("Task list: indexed and paged")
struct TaskListTests {
    /// 250 tasks, one in five of nso-south and the rest of nso-north, with ids out of insertion order: paging through
    /// nso-north's list yields each of its tasks exactly once, in the order received, and none of nso-south's.
    static func checkPaging(_ store: any TaskStore) async throws {
        var north: [String] = []
        var south: [String] = []
        for index in 0..<250 {
            let id = String(format: "%064x", (index * 7919) % 1_000_003)
            let members = index % 5 == 0 ? ["cp-a", "nso-south"] : ["cp-a", "nso-north"]
            let (_, created) = try await store.insert(
                id: id, document: Array("document \(index)".utf8), state: .accepted,
                summary: TaskSummary(ctsID: "cts-\(index)", title: "Task \(index)", members: members))
            #expect(created)
            if index % 5 == 0 { south.append(id) } else { north.append(id) }
        }
        let (_, again) = try await store.insert(
            id: north[0], document: [1], state: .draft,
            summary: TaskSummary(ctsID: "other", title: "other", members: ["nso-south"]))
        #expect(!again, "a resubmission changed the store")

        var seen: [TaskListing] = []
        var after: String? = nil
        repeat {
            let page = try #require(try await store.page(member: "nso-north", after: after, limit: 64))
            seen += page
            after = page.count == 64 ? page.last?.id : nil
        } while after != nil
        #expect(seen.map(\.id) == north)
        #expect(seen.first == TaskListing(id: north[0], ctsID: "cts-1", title: "Task 1", state: .accepted))
        #expect(try await store.page(member: "nso-south", after: nil, limit: 1000)?.map(\.id) == south)
        // A cursor that is not one of the member's tasks is refused, not silently read as "from the start".
        #expect(try await store.page(member: "nso-north", after: south[0], limit: 10) == nil)
        #expect(try await store.page(member: "nso-north", after: "no-such-task", limit: 10) == nil)
        #expect(try await store.page(member: "eurostat", after: nil, limit: 10) == [])

        #expect(try await store.transition(north[3], from: [.accepted], to: .collectingInputs))
        #expect(try await store.records(in: [.collectingInputs]).map(\.id) == [north[3]])
        #expect(try await store.stateCounts() == [.accepted: 249, .collectingInputs: 1])
        #expect(try await store.page(member: "nso-north", after: north[2], limit: 1)?.first?.state == .collectingInputs)

        // The deadline watcher reads only tasks past the deadline of their state (tasks without deadlines never).
        let base = Date(timeIntervalSince1970: 1_900_000_000)
        let deadlines = ComputationTaskSpecification.Deadlines(
            inputs: base, compute: base + 100, outputs: base + 200)
        for (id, state) in [
            ("d-inputs", TaskLifecycle.State.accepted), ("d-compute", .computing), ("d-outputs", .completed),
        ] {
            _ = try await store.insert(
                id: id, document: [0], state: state,
                summary: TaskSummary(ctsID: id, title: id, members: ["eurostat"], deadlines: deadlines))
        }
        #expect(try await store.due(at: base - 1).isEmpty)
        #expect(try await store.due(at: base).map(\.id) == ["d-inputs"])
        #expect(try await store.due(at: base + 150).map(\.id) == ["d-inputs", "d-compute"])
        #expect(try await store.due(at: base + 10_000).map(\.id) == ["d-inputs", "d-compute", "d-outputs"])
        #expect(try await store.transition("d-inputs", from: [.accepted], to: .expired))
        #expect(try await store.due(at: base + 10_000).map(\.id) == ["d-compute", "d-outputs"])
    }

    /// Opens a task store, runs `body`, and closes the store however `body` ends.
    static func with(
        _ address: AuditStores.Address, data: String, _ body: (any TaskStore) async throws -> Void
    ) async throws {
        let store = try await TaskStores.open(address, dataDirectory: data)
        do { try await body(store) } catch {
            try await store.close()
            throw error
        }
        try await store.close()
    }

    @Test("an SQLite task store pages each member's tasks from its index")
    func sqlitePaging() async throws {
        let directory = try Subprocess.temporaryDirectory("consort-task-list")
        let store = try await TaskStores.open(
            .sqlite(path: "\(directory.path)/audit.db"), dataDirectory: directory.path)
        try await Self.checkPaging(store)
        try await store.close()
    }

    @Test(
        "a PostgreSQL task store pages each member's tasks from its index",
        .enabled(if: TestPostgres.canRun, TestPostgres.skipReason))
    func postgresPaging() async throws {
        try await TestPostgres.withDatabase { url in
            try await Self.with(.postgres(url: url), data: "/nonexistent", Self.checkPaging)
        }
    }

    @Test(
        "a store written before the index and batches is indexed once when opened, its uploads final; an unreadable document is listed to nobody"
    )
    func olderStoreIsIndexed() async throws {
        let directory = try Subprocess.temporaryDirectory("consort-task-list-upgrade")
        let (_, signers) = try TestConsortium.household()
        var jws = MultiSignatureJWS(payload: Array(TestSpecifications.householdIncome().utf8))
        for id in ["nso-north", "nso-south", "eurostat", "cp-a", "cp-b", "cp-c"] {
            let member = try MemberID(id)
            try jws.sign(as: try #require(signers[member]), member: member)
        }
        let document = jws.serialized()
        // The schema and rows as a node before the index wrote them.
        let connection = try await SQLiteConnection.open(storage: .file(path: "\(directory.path)/tasks.db"))
        for statement in [
            "CREATE TABLE tasks (id TEXT PRIMARY KEY, document BLOB NOT NULL, state TEXT NOT NULL, received_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
            "CREATE TABLE uploads (task TEXT NOT NULL, input_table TEXT NOT NULL, member TEXT NOT NULL, rows INTEGER NOT NULL, batch TEXT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (task, input_table, member))",
        ] { _ = try await connection.query(statement) }
        for (id, bytes) in [(jws.taskID, document), ("broken", Array("not a CTS".utf8))] {
            _ = try await connection.query(
                "INSERT INTO tasks VALUES (?, ?, 'accepted', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                [.text(id), .blob(ByteBuffer(bytes: bytes))])
        }
        _ = try await connection.query(
            "INSERT INTO uploads VALUES (?, 'households', 'nso-north', 7, 'b-old', '2026-01-01T00:00:00Z')",
            [.text(jws.taskID)])
        try await connection.close()

        let store = try await TaskStores.open(
            .sqlite(path: "\(directory.path)/audit.db"), dataDirectory: directory.path)
        let cts = try #require(try SpecificationDocument(bytes: document).specification().0)
        for member in ["nso-north", "eurostat", "cp-c"] {
            #expect(
                try await store.page(member: member, after: nil, limit: 10)
                    == [TaskListing(id: jws.taskID, ctsID: cts.id, title: cts.title, state: .accepted)])
        }
        #expect(try await store.unindexed().isEmpty)
        #expect(try await store.record("broken") != nil, "the unreadable task was lost")
        // The upload taken in one piece is its party's final batch; uploads are now keyed by batch too.
        let old = TaskUpload(
            table: "households", member: "nso-north", rows: 7, batch: "b-old", final: true, sha256: "",
            receivedAt: "2026-01-01T00:00:00Z")
        #expect(try await store.uploads(task: jws.taskID) == [old])
        var next = old
        (next.batch, next.final) = ("b-new", false)
        #expect(try await store.recordUpload(task: jws.taskID, next))
        #expect(try await !store.recordUpload(task: jws.taskID, next))
        #expect(try await store.uploads(task: jws.taskID) == [next, old])
        try await store.close()
    }

    @Test(
        "a PostgreSQL task store from before batches keeps its uploads, each its party's final batch, and takes batches",
        .enabled(if: TestPostgres.canRun, TestPostgres.skipReason))
    func olderPostgresStoreTakesBatches() async throws {
        try await TestPostgres.withDatabase { url in
            // The schema of migrations 1 to 3, as a node before batches left it, with one upload.
            let at = "'2026-01-01T00:00:00Z'"
            try await TestPostgres.execute(
                [
                    """
                    CREATE TABLE consort_migrations (component TEXT NOT NULL, version INTEGER NOT NULL,
                        applied_at TEXT NOT NULL, PRIMARY KEY (component, version))
                    """,
                    "INSERT INTO consort_migrations VALUES ('tasks', 1, \(at)), ('tasks', 2, \(at)), ('tasks', 3, \(at))",
                    """
                    CREATE TABLE consort_tasks (id TEXT PRIMARY KEY, document BYTEA NOT NULL, state TEXT NOT NULL,
                        received_at TEXT NOT NULL, updated_at TEXT NOT NULL, seq BIGSERIAL, cts_id TEXT, title TEXT,
                        inputs_deadline TEXT, compute_deadline TEXT, outputs_deadline TEXT)
                    """,
                    "CREATE UNIQUE INDEX consort_tasks_seq ON consort_tasks (seq)",
                    "CREATE INDEX consort_tasks_state ON consort_tasks (state)",
                    """
                    CREATE TABLE consort_task_parties (member TEXT NOT NULL, seq BIGINT NOT NULL,
                        task TEXT NOT NULL REFERENCES consort_tasks (id), PRIMARY KEY (member, seq))
                    """,
                    """
                    CREATE TABLE consort_uploads (task TEXT NOT NULL REFERENCES consort_tasks (id),
                        input_table TEXT NOT NULL, member TEXT NOT NULL, rows BIGINT NOT NULL, batch TEXT NOT NULL,
                        received_at TEXT NOT NULL, sha256 TEXT NOT NULL DEFAULT '',
                        PRIMARY KEY (task, input_table, member))
                    """,
                    """
                    CREATE TABLE consort_releases (task TEXT NOT NULL REFERENCES consort_tasks (id),
                        member TEXT NOT NULL, released_at TEXT NOT NULL, PRIMARY KEY (task, member))
                    """,
                    """
                    INSERT INTO consort_tasks (id, document, state, received_at, updated_at, cts_id, title)
                    VALUES ('t1', '\\x00', 'collecting-inputs', \(at), \(at), 'hh', 'households')
                    """,
                    "INSERT INTO consort_uploads VALUES ('t1', 'households', 'nso-north', 7, 'b-old', \(at), 'ab12')",
                ], url: url)
            let store = try await PostgresTaskStore.open(url: url, logger: Logger(label: "consort.test"))
            let old = TaskUpload(
                table: "households", member: "nso-north", rows: 7, batch: "b-old", final: true, sha256: "ab12",
                receivedAt: "2026-01-01T00:00:00Z")
            #expect(try await store.uploads(task: "t1") == [old])
            var next = old
            (next.batch, next.final) = ("b-new", false)
            #expect(try await store.recordUpload(task: "t1", next))
            #expect(try await !store.recordUpload(task: "t1", next))
            #expect(try await store.uploads(task: "t1") == [next, old])
            try await store.close()
        }
    }

    @Test("a node lists a member's tasks in pages; the CLI follows 'more', bad limits and cursors get clear errors")
    func nodePages() async throws {
        let deployment = try await TaskSubmissionTests.Deployment(started: [])
        let path = deployment.path
        // 150 signed tasks stored at cp-a before it starts (as if submitted over time).
        let store = try await TaskStores.open(.sqlite(path: "\(path)/cp-a/audit.db"), dataDirectory: "\(path)/cp-a")
        var ids: [String] = []
        let start = Date()
        for index in 0..<150 {
            let text = TestSpecifications.householdIncome(now: start.addingTimeInterval(Double(index)))
            let signed = try deployment.signed(
                text, by: ["nso-north", "nso-south", "eurostat", "cp-a", "cp-b", "cp-c"])
            let cts = try #require(try SpecificationDocument(bytes: Array(text.utf8)).specification().0)
            _ = try await store.insert(
                id: signed.taskID, document: signed.serialized(), state: .accepted, summary: TaskSummary(cts))
            ids.append(signed.taskID)
        }
        try await store.close()
        let node = try TestNodeProcess(configuration: "\(path)/cp-a.json", port: deployment.ports[0])
        try await node.waitUntilListening()
        deployment.nodes.append(node)
        try deployment.signers[try MemberID("nso-north")]!.write(directory: path, name: "alice")

        var listed: [String] = []
        var after: [String] = []
        for _ in 0..<4 {
            let page = try await deployment.run(["task", "list", "--limit", "60"] + after, as: "alice")
            #expect(page.succeeded, "\(page.stdout) \(page.stderr)")
            let lines = page.stdout.split(separator: "\n").map(String.init)
            listed += lines.filter { $0.hasPrefix("  ") && !$0.contains("more:") }.map {
                String($0.dropFirst(2).prefix(64))
            }
            guard let more = lines.first(where: { $0.contains("more: --after ") }) else { break }
            after = ["--after", String(more.split(separator: " ").last!)]
        }
        #expect(listed == ids, "\(listed.count) listed of \(ids.count)")

        let tooMany = try Subprocess.run(
            "curl",
            [
                "-s", "--max-time", "5", "--cacert", "\(path)/root.pem", "--cert", "\(path)/alice.pem", "--key",
                "\(path)/alice.key", "https://127.0.0.1:\(deployment.ports[0])/v1/tasks?limit=5000",
            ])
        #expect(tooMany.stdout.contains("limit must be a whole number from 1 to 1000"), "\(tooMany.stdout)")
        let unknown = try await deployment.run(["task", "list", "--after", "no-such-task"], as: "alice")
        #expect(
            !unknown.succeeded && unknown.stdout.contains("cp-a: refused (400): after: no-such-task is not a task"),
            "\(unknown.stdout)")
        let badLimit = try await deployment.run(["task", "list", "--limit", "0"], as: "alice")
        #expect(!badLimit.succeeded && badLimit.stderr.contains("--limit must be from 1 to 1000"), "\(badLimit.stderr)")
        try await node.expectCleanStop()
    }
}
