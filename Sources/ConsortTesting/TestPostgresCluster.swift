import ConsortTransport
import Foundation

/// A private PostgreSQL cluster for tests that crash the server (`kill -9`), so they never disturb the shared test
/// server. Needs the server binaries (`CONSORT_TEST_POSTGRES_BIN`, set by scripts/test); runs them as the `postgres`
/// user when the tests run as root, since PostgreSQL refuses to run as root.
package final class TestPostgresCluster: @unchecked Sendable {
    package let directory: URL
    package let port: Int
    let bin: String
    let asPostgres: Bool

    package var url: String { "postgres://consort@127.0.0.1:\(self.port)/consort" }
    var dataDirectory: String { self.directory.appendingPathComponent("data").path }

    package static var binaries: String? {
        if let bin = ProcessInfo.processInfo.environment["CONSORT_TEST_POSTGRES_BIN"], !bin.isEmpty { return bin }
        let candidates = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return candidates.sorted().last.map { "/usr/lib/postgresql/\($0)/bin" }
    }

    /// Creates and starts a cluster on a free port with a database `consort` owned by user `consort`.
    package init() throws {
        guard let bin = Self.binaries, FileManager.default.isExecutableFile(atPath: "\(bin)/initdb") else {
            throw TestEnvironment.Unavailable(
                description: "PostgreSQL server binaries not found (set CONSORT_TEST_POSTGRES_BIN)")
        }
        self.bin = bin
        self.asPostgres = getuid() == 0
        self.directory = try Subprocess.temporaryDirectory("consort-pgcluster")
        self.port = try FreePort.loopback()
        if self.asPostgres {
            _ = try Subprocess.run("/bin/chown", ["-R", "postgres", self.directory.path])
        }
        try self.pg("initdb", ["-D", self.dataDirectory, "--auth=trust", "--username=consort", "--encoding=UTF8"])
        try self.start()
        try self.pg("createdb", ["-h", "127.0.0.1", "-p", String(self.port), "-U", "consort", "consort"])
    }

    package func start() throws {
        try self.pg(
            "pg_ctl",
            [
                "-D", self.dataDirectory, "-l", self.directory.appendingPathComponent("server.log").path, "-w", "-t",
                "60",
                "-o",
                "-c listen_addresses=127.0.0.1 -p \(self.port) -k \(self.directory.path) -c fsync=on -c synchronous_commit=on",
                "start",
            ])
    }

    /// SIGKILL to the postmaster and every backend: a crash, not a shutdown.
    package func kill9() throws {
        let pidFile = try String(contentsOfFile: "\(self.dataDirectory)/postmaster.pid", encoding: .utf8)
        guard let line = pidFile.split(separator: "\n").first, let postmaster = pid_t(line) else {
            throw TestEnvironment.Unavailable(description: "cannot read postmaster.pid")
        }
        let children = Self.children(of: postmaster)
        kill(postmaster, SIGKILL)
        for child in children { kill(child, SIGKILL) }
        // Wait until they are gone, so a restart does not find the old shared memory in use.
        for _ in 0..<200 where ([postmaster] + children).contains(where: { kill($0, 0) == 0 && !Self.isZombie($0) }) {
            usleep(20_000)
        }
        // Nothing reaps orphans in this container, so the dead postmaster lingers as a zombie that PostgreSQL would
        // mistake for a running server; every process of the cluster is dead, so its lock file can go.
        try? FileManager.default.removeItem(atPath: "\(self.dataDirectory)/postmaster.pid")
        try? FileManager.default.removeItem(
            atPath: self.directory.appendingPathComponent(".s.PGSQL.\(self.port).lock").path)
    }

    package func stop() {
        _ = try? self.pg("pg_ctl", ["-D", self.dataDirectory, "stop", "-m", "immediate"])
        try? FileManager.default.removeItem(at: self.directory)
    }

    private func pg(_ tool: String, _ arguments: [String]) throws {
        // pg_ctl leaves the server running with our stdout: never wait on that pipe.
        let capture = tool != "pg_ctl"
        let output =
            self.asPostgres
            ? try Subprocess.run(
                "/sbin/runuser", ["-u", "postgres", "--", "\(self.bin)/\(tool)"] + arguments, captureOutput: capture)
            : try Subprocess.run("\(self.bin)/\(tool)", arguments, captureOutput: capture)
        guard output.succeeded else {
            let log =
                (try? String(contentsOfFile: self.directory.appendingPathComponent("server.log").path, encoding: .utf8))
                ?? ""
            throw TestEnvironment.Unavailable(
                description:
                    "\(tool) \(arguments.last ?? "") failed (status \(output.status)): \(output.stderr) \(output.stdout)\n"
                    + log.split(separator: "\n").suffix(8).joined(separator: "\n")
            )
        }
    }

    static func children(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(pid_t.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 2 && pid_t(fields[1]) == parent
        }
    }

    static func isZombie(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else {
            return true
        }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }
}
