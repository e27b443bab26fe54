import Foundation

/// What the test environment provides. Under `scripts/test` (`CONSORT_STRICT_TESTS=1`) nothing optional may be
/// missing: a test that would skip fails instead.
package enum TestEnvironment {
    package static var isStrict: Bool { ProcessInfo.processInfo.environment["CONSORT_STRICT_TESTS"] == "1" }

    /// A Python interpreter that can import `modules`: `CONSORT_TEST_PYTHON` (the venv `scripts/test` prepares) or
    /// `python3`; nil if none can.
    package static func python(importing modules: [String]) -> String? {
        let candidates = [ProcessInfo.processInfo.environment["CONSORT_TEST_PYTHON"], Subprocess.which("python3")]
            .compactMap { $0 }
        for candidate in candidates {
            if let output = try? Subprocess.run(candidate, ["-c", "import " + modules.joined(separator: ", ")]),
                output.succeeded
            {
                return candidate
            }
        }
        return nil
    }

    /// For `.enabled(if:)`: whether a test needing Python with `modules` can run. Under `scripts/test` it always
    /// runs (and fails loudly in `requirePython` if they are missing); elsewhere it shows as skipped.
    package static func canRunPython(_ modules: [String]) -> Bool {
        Self.isStrict || Self.python(importing: modules) != nil
    }

    /// The Python interpreter for a test enabled by `canRunPython`; an error (never a skip) if it is missing.
    package static func requirePython(_ modules: [String]) throws -> String {
        guard let python = Self.python(importing: modules) else {
            throw Unavailable(
                description: "python with \(modules.joined(separator: ", ")) is required (scripts/test installs it)")
        }
        return python
    }

    /// The `consort` executable built with the tests (SwiftPM puts it next to the test bundle), for tests that run
    /// real processes.
    package static func consortExecutable() throws -> URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        for directory in [
            bundle.deletingLastPathComponent(), bundle.deletingLastPathComponent().deletingLastPathComponent(),
        ] {
            let candidate = directory.appendingPathComponent("consort")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw Unavailable(
            description: "the consort executable is not next to \(bundle.path): run 'swift build' before 'swift test'")
    }

    package struct Unavailable: Error, CustomStringConvertible {
        package var description: String
        package init(description: String) { self.description = description }
    }
}
