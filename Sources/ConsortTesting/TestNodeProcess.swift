import ConsortTransport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A `consort node run` process for integration tests: started from a configuration, ready once its port accepts
/// connections, stopped with SIGTERM (or killed when dropped).
package final class TestNodeProcess: @unchecked Sendable {
    package let process = Process()
    package let port: Int
    package let logPath: String

    /// `environment` is added to this process's own (e.g. `CONSORT_TEST_CRASH_AT`).
    package init(configuration path: String, port: Int, environment: [String: String] = [:]) throws {
        self.port = port
        self.logPath = path + ".log"
        self.process.executableURL = try TestEnvironment.consortExecutable()
        self.process.arguments = ["node", "run", "--config", path]
        self.process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
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
            if FreePort.accepts(self.port) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? ""
        throw TestEnvironment.Unavailable(description: "the node on port \(self.port) did not start: \(log)")
    }

    /// SIGTERM, then waits for a graceful exit; returns the exit status (nil if it had to be killed).
    @discardableResult
    /// (90 s: with the whole suite on two cores a graceful shutdown, fsyncs included, has taken over 45 s.)
    package func stop(timeout: Duration = .seconds(90)) async throws -> Int32? {
        guard self.process.isRunning else { return self.process.terminationStatus }
        kill(self.process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        guard !self.process.isRunning else {
            kill(self.process.processIdentifier, SIGKILL)
            return nil
        }
        return self.process.terminationStatus
    }

    deinit {
        if self.process.isRunning { kill(self.process.processIdentifier, SIGKILL) }
    }
}
