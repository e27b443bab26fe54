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
        _ = try deployment.submit(TestSpecifications.householdIncome())
        try deployment.consortium.user("auditor", name: "inspector", roles: [.auditor]).write(
            directory: path, name: "inspector")
        try deployment.consortium.user("cp-a", name: "ops", roles: [.admin]).write(directory: path, name: "ops")
        let spec = TestData.repositoryRoot.appendingPathComponent("Specs/openapi.yaml").path
        // An output party's analyst, an auditor, and the node's own admin: between them every route answers 2xx somewhere.
        for caller in ["analyst", "inspector", "ops"] {
            let run = try await Subprocess.output(
                schemathesis,
                [
                    "run", spec, "--url", "https://127.0.0.1:\(deployment.ports[0])",
                    "--request-cert", "\(path)/\(caller).pem", "--request-cert-key", "\(path)/\(caller).key",
                    "--tls-verify", "\(path)/root.pem", "--checks", "all",
                    // A well-formed but unsigned or wrongly signed document is rightly refused.
                    "--exclude-checks", "positive_data_acceptance",
                    "--max-examples", "25", "--seed", "1", "--no-color", "--request-timeout", "30",
                ],
                // Schemathesis keeps a cache where it runs: the test's folder, not the repository.
                currentDirectory: path)
            #expect(run.succeeded, "as \(caller):\n\(run.stdout)\n\(run.stderr)")
            #expect(run.stdout.contains("API Operations"), "as \(caller): \(run.stdout)")
            if caller == "analyst" {
                // The task routes were reached with the real task, through the links from GET /v1/tasks.
                #expect(run.stdout.contains("5 covered / 5 selected"), "\(run.stdout)")
            }
        }
        for node in deployment.nodes { #expect(try await node.stop() == 0) }
    }
}
