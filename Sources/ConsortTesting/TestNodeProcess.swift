import ConsortTransport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A `consort node run` process for integration tests: started from a configuration, ready once its port accepts
/// connections, stopped with SIGTERM (or killed when dropped). Any other long-running `consort` command (the demo
/// with its web UIs) runs the same way, its output in `logPath`.
package final class TestNodeProcess: @unchecked Sendable {
    package let process = Process()
    package let port: Int
    /// The address it listens on (reachable from this machine).
    package let host: String
    package let logPath: String

    /// `environment` is added to this process's own (e.g. `CONSORT_TEST_CRASH_AT`); `namespace` and `host` as below.
    package convenience init(
        configuration path: String, port: Int, environment: [String: String] = [:], namespace: String? = nil,
        host: String = "127.0.0.1"
    ) throws {
        try self.init(
            arguments: ["node", "run", "--config", path], log: path + ".log", port: port, environment: environment,
            namespace: namespace, host: host)
    }

    /// `consort ARGUMENTS`, its standard output and error in `log`; `host`:`port` is where it listens once ready. In
    /// network namespace `namespace`, it runs inside it (`ip netns exec` execs it: the process is consort's own).
    package init(
        arguments: [String], log: String, port: Int = 0, environment: [String: String] = [:],
        namespace: String? = nil, host: String = "127.0.0.1"
    ) throws {
        self.port = port
        self.host = host
        self.logPath = log
        let consort = try TestEnvironment.consortExecutable()
        if let namespace {
            self.process.executableURL = URL(fileURLWithPath: Subprocess.which("ip") ?? "/usr/sbin/ip")
            self.process.arguments = ["netns", "exec", namespace, consort.path] + arguments
        } else {
            self.process.executableURL = consort
            self.process.arguments = arguments
        }
        // A crashed test run must not leave its nodes running (`ParentWatch`).
        self.process.environment = ProcessInfo.processInfo.environment.merging(
            environment.merging(["CONSORT_TEST_EXIT_WITH_PARENT": "1"]) { $1 }
        ) { $1 }
        _ = FileManager.default.createFile(atPath: self.logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: self.logPath))
        self.process.standardOutput = log
        self.process.standardError = log
        try self.process.run()
    }

    /// Waits until the node's port accepts TCP connections (generous: with the whole suite running on two cores, a
    /// node's start-up has taken over 30 s).
    package func waitUntilListening(timeout: Duration = .seconds(90)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard self.process.isRunning else { break }
            if FreePort.accepts(self.port, host: self.host) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? ""
        throw TestEnvironment.Unavailable(
            description: "the node on \(self.host):\(self.port) did not start: \(log)")
    }

    /// `signal` (SIGTERM), then waits for a graceful exit; returns the exit status (nil if it had to be killed).
    /// (90 s: with the whole suite on two cores a graceful shutdown, fsyncs included, has taken over 45 s.)
    @discardableResult
    package func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(90)) async throws -> Int32? {
        guard self.process.isRunning else { return self.process.terminationStatus }
        kill(self.process.processIdentifier, signal)
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        guard !self.process.isRunning else {
            kill(self.process.processIdentifier, SIGKILL)
            return nil
        }
        return self.process.terminationStatus
    }

    /// Stops the node (SIGTERM) and describes anything but a graceful exit 0, with the end of its log, so a failed
    /// expectation says why; nil after a clean stop.
    package func stopProblem() async throws -> String? {
        let status = try await self.stop()
        guard status != 0 else { return nil }
        let log = (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? ""
        let how = status.map { "exited with status \($0)" } ?? "did not stop within 90 s"
        return "the node on port \(self.port) \(how); its log ends: \(log.suffix(3000))"
    }

    /// Stops the node and records an issue with `stopProblem`'s description unless it exited gracefully (an
    /// expectation on `try await` alone cannot show the value it failed on).
    package func expectCleanStop(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let problem = try await self.stopProblem()
        #expect(problem == nil, "\(problem ?? "")", sourceLocation: sourceLocation)
    }

    deinit {
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
    }
}
