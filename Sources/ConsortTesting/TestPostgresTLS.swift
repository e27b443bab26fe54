import ConsortTransport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A second throwaway PostgreSQL cluster with TLS on, for the `sslmode` tests: its server certificate (for the
/// name localhost only, not the IP address 127.0.0.1 it listens on; from a test CA made with openssl) and a CA that did not issue it are handed to the test, and the cluster
/// is stopped and deleted afterwards. Durability is off (it holds nothing), so it adds no disk load to the suites
/// running beside it. Uses the binaries `scripts/test` found (`CONSORT_TEST_POSTGRES_BIN`).
package enum TestPostgresTLS {
    package struct Server: Sendable {
        /// `postgres://consort@127.0.0.1:PORT/consort_tls` — add `?sslmode=…`.
        package var url: String
        /// The CA that issued the server's certificate, and one that did not (PEM files).
        package var caFile: String
        package var otherCAFile: String
    }

    package static func withServer<T: Sendable>(_ body: (Server) async throws -> T) async throws -> T {
        guard let bin = ProcessInfo.processInfo.environment["CONSORT_TEST_POSTGRES_BIN"], !bin.isEmpty else {
            throw TestEnvironment.Unavailable(
                description: "CONSORT_TEST_POSTGRES_BIN is not set (scripts/test sets it)")
        }
        let directory = try Subprocess.temporaryDirectory("consort-pg-tls").path
        // PostgreSQL refuses to run as root: the cluster belongs to the postgres user then.
        let asPostgres = getuid() == 0 ? ["runuser", "-u", "postgres", "--"] : []
        // (pg_ctl start leaves the server holding its output: that one is not captured, or reading it never ends.)
        func run(_ command: [String], capture: Bool = true) throws {
            let output = try Subprocess.run(command[0], Array(command.dropFirst()), captureOutput: capture)
            guard output.succeeded else {
                throw TestEnvironment.Unavailable(
                    description: "\(command.joined(separator: " ")) failed: \(output.stderr) \(output.stdout)")
            }
        }
        defer {
            try? run(
                asPostgres + ["\(bin)/pg_ctl", "-D", "\(directory)/data", "stop", "-m", "immediate"], capture: false)
            try? FileManager.default.removeItem(atPath: directory)
        }
        for ca in ["ca", "other-ca"] {
            try run([
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "\(directory)/\(ca).key", "-out", "\(directory)/\(ca).pem", "-subj", "/CN=Test \(ca)",
                "-days", "2", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                "keyUsage=critical,keyCertSign",
            ])
        }
        try run([
            "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "\(directory)/server.key", "-out", "\(directory)/server.csr", "-subj", "/CN=localhost",
        ])
        try "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n".write(
            toFile: "\(directory)/server.ext", atomically: true, encoding: .utf8)
        try run([
            "openssl", "x509", "-req", "-in", "\(directory)/server.csr", "-CA", "\(directory)/ca.pem", "-CAkey",
            "\(directory)/ca.key", "-CAcreateserial", "-days", "2", "-out", "\(directory)/server.pem", "-extfile",
            "\(directory)/server.ext",
        ])
        if !asPostgres.isEmpty { try run(["chown", "-R", "postgres", directory]) }
        try run(["chmod", "600", "\(directory)/server.key"])
        let port = try FreePort.loopback()
        try run(
            asPostgres + [
                "\(bin)/initdb", "-D", "\(directory)/data", "--auth=trust", "--username=consort", "--no-sync",
            ])
        try run(
            asPostgres + [
                "\(bin)/pg_ctl", "-D", "\(directory)/data", "-l", "\(directory)/postgres.log", "-w", "-t", "60", "-o",
                "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory) -c fsync=off -c ssl=on "
                    + "-c ssl_cert_file=\(directory)/server.pem -c ssl_key_file=\(directory)/server.key", "start",
            ], capture: false)
        try run(asPostgres + ["\(bin)/createdb", "-h", "127.0.0.1", "-p", "\(port)", "-U", "consort", "consort_tls"])
        return try await body(
            Server(
                url: "postgres://consort@127.0.0.1:\(port)/consort_tls", caFile: "\(directory)/ca.pem",
                otherCAFile: "\(directory)/other-ca.pem"))
    }
}
