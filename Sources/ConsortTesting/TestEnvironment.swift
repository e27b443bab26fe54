import Foundation

/// What the test environment provides. Under `scripts/test` (`CONSORT_STRICT_TESTS=1`) nothing optional may be
/// missing: a test that would skip fails instead.
package enum TestEnvironment {
    package static var isStrict: Bool { ProcessInfo.processInfo.environment["CONSORT_STRICT_TESTS"] == "1" }

    /// A Python interpreter that can import `modules`: `CONSORT_TEST_PYTHON` (the venv `scripts/test` prepares) or
    /// `python3`; nil if none can.
    package static func python(importing modules: [String]) -> String? {
        let candidates = [ProcessInfo.processInfo.environment["CONSORT_TEST_PYTHON"], Subprocess.which("python3")].compactMap { $0 }
        for candidate in candidates {
            if let output = try? Subprocess.run(candidate, ["-c", "import " + modules.joined(separator: ", ")]), output.succeeded {
                return candidate
            }
        }
        return nil
    }

    package struct Unavailable: Error, CustomStringConvertible {
        package var description: String
        package init(description: String) { self.description = description }
    }
}
