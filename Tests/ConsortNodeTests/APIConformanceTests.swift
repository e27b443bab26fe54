import ConsortPKI
import ConsortTesting
import Foundation
import Testing

/// Schemathesis (an independent OpenAPI fuzzer) against a running node: every route, with generated valid and invalid
/// requests, as callers with different roles; every answer must be a documented status with a body matching its
/// schema, and no request may make the node fail.
@Suite("The node's API against Specs/openapi.yaml")
struct APIConformanceTests {
    @Test(
        "schemathesis finds every answer documented, with a body matching its schema, and no server error",
        .enabled(if: TestEnvironment.canRunPython(["schemathesis"]), "python with schemathesis is not installed"))
    func schemathesis() async throws {
        let python = try TestEnvironment.requirePython(["schemathesis"])
        let schemathesis = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent(
            "schemathesis"
        ).path
        let deployment = try await TaskSubmissionTests.Deployment()
        let path = deployment.path
        _ = try await deployment.submit(TestSpecifications.householdIncome())
        try deployment.consortium.user("auditor", name: "inspector", roles: [.auditor]).write(
            directory: path, name: "inspector")
        try deployment.consortium.user("cp-a", name: "ops", roles: [.admin]).write(directory: path, name: "ops")
        let spec = TestData.repositoryRoot.appendingPathComponent("Specs/openapi.yaml").path
        // An output party's analyst on the task routes (following the links from the task list to the real task),
        // an auditor on the audit routes, the node's own admin on what is its member's (metrics, proposals), and the
        // analyst once more on everything: every route answers 2xx to one of them, and anything to all.
        let runs: [(String, String)] = [
            ("analyst", "^/v1/(health|tasks)"), ("inspector", "^/v1/audit"), ("ops", "^/v1/(metrics|proposals)"),
            ("analyst", ".*"),
        ]
        for (index, (caller, only)) in runs.enumerated() {
            let stateful = index == 0
            let run = try await Subprocess.output(
                schemathesis,
                [
                    "run", spec, "--url", "https://127.0.0.1:\(deployment.ports[0])",
                    "--request-cert", "\(path)/\(caller).pem", "--request-cert-key", "\(path)/\(caller).key",
                    "--tls-verify", "\(path)/root.pem", "--checks", "all",
                    // A well-formed but unsigned or wrongly signed document is rightly refused.
                    "--exclude-checks", "positive_data_acceptance",
                    "--max-examples", "10", "--seed", "1", "--no-color", "--request-timeout", "30",
                ]
                    + ["--include-path-regex", only]
                    // Only the task routes have links to follow.
                    + (stateful ? [] : ["--phases", "coverage,fuzzing"]),
                // Schemathesis keeps a cache where it runs: the test's folder, not the repository.
                currentDirectory: path)
            #expect(run.succeeded, "as \(caller):\n\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("API Operations"), "as \(caller): \(run.stdout)")
            if stateful {
                // The task routes were reached with the real task (through the links from GET /v1/tasks), not only
                // with made-up ids that are 404s.
                for route in ["GET /v1/tasks/{id}", "GET /v1/tasks/{id}/document"] {
                    #expect(!run.stdout.contains("  - \(route)\n"), "\(route) never reached a task: \(run.stdout)")
                }
            }
        }
        for node in deployment.nodes { try await node.expectCleanStop() }
    }
}
