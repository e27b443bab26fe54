import ConsortTesting
import Foundation
import Testing

/// The README's walkthrough, run as written by a new user: every command in order, in an empty directory, with the
/// `consort` just built on the PATH.
@Suite("README walkthrough")
struct ReadmeWalkthroughTests {
    /// The shell block after the walkthrough marker in README.md.
    static func walkthrough() throws -> String {
        let readme = try String(
            contentsOf: TestData.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let marker = readme.range(of: "<!-- walkthrough:"),
            let open = readme.range(of: "```sh\n", range: marker.upperBound..<readme.endIndex),
            let close = readme.range(of: "\n```", range: open.upperBound..<readme.endIndex)
        else { throw TestEnvironment.Unavailable(description: "README.md has no walkthrough block") }
        return String(readme[open.upperBound..<close.lowerBound])
    }

    @Test("the README's consortium by hand runs from an empty directory to a verified audit, as written")
    func runsAsWritten() async throws {
        let block = try Self.walkthrough()
        #expect(block.contains("consort pki init-operator") && block.contains("consort audit verify --dir logs"))
        let directory = try Subprocess.temporaryDirectory("consort-readme")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Only the harness is added: stop on the first failing command, and never leave the nodes running.
        let script = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + block + "\n"
        try script.write(
            to: directory.appendingPathComponent("walkthrough.sh"), atomically: true, encoding: .utf8)
        let bin = try TestEnvironment.consortExecutable().deletingLastPathComponent().path
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let run = try await Subprocess.output(
            "/bin/sh",
            ["-c", "cd '\(directory.path)' && exec timeout 900 bash walkthrough.sh"],
            environment: ["PATH": "\(bin):\(path)"])
        let output = run.stdout + run.stderr
        #expect(run.succeeded, "\(output.suffix(4000))")
        #expect(output.contains("every required party has signed"), "\(output.suffix(2000))")
        #expect(output.contains("accepted by every computing party"), "\(output.suffix(2000))")
        #expect(output.contains("mean_income"), "the result was not printed: \(output.suffix(2000))")
        #expect(output.contains("audit verified: 3 node(s) agree on 1 task(s)"), "\(output.suffix(2000))")
    }
}
