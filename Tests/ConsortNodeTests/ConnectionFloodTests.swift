import ConsortAudit
import ConsortNode
import ConsortTesting
import Foundation
import Testing

/// What anyone who can reach a node's ports can make it do, bounded: handshake floods grow the audit log by a bounded
/// amount, connections that never handshake or sit idle are closed, and one address cannot hold more than its share
/// of connections. On the API and on the MPC port.
@Suite("Connection floods", .serialized)
struct ConnectionFloodTests {
    /// Opens `count` raw TCP connections to `port` that send nothing, and reports after `seconds` how many the node
    /// closed within `early` seconds and within `seconds`.
    static func rawConnections(_ count: Int, port: Int, early: Double, seconds: Double) async throws -> (
        early: Int, all: Int
    ) {
        let script = """
            import socket, time, select
            socks = []
            for _ in range(\(count)):
                s = socket.create_connection(("127.0.0.1", \(port)))
                s.setblocking(False)
                socks.append(s)
            start = time.time(); closed = {}
            while time.time() - start < \(seconds) and len(closed) < len(socks):
                ready, _, _ = select.select([s for s in socks if s not in closed], [], [], 0.05)
                for s in ready:
                    try:
                        data = s.recv(1)
                    except (ConnectionResetError, BlockingIOError):
                        data = b""
                    if not data: closed[s] = time.time() - start
            print(sum(1 for t in closed.values() if t < \(early)), len(closed))
            """
        let output = try await Subprocess.output("python3", ["-c", script])
        let numbers = output.stdout.split(separator: " ").compactMap {
            Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        guard numbers.count == 2 else {
            throw TestEnvironment.Unavailable(
                description: "connection script failed: \(output.stdout) \(output.stderr)")
        }
        return (numbers[0], numbers[1])
    }

    static func reason(of details: String) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(details.utf8)) as? [String: Any]
        return object?["reason"] as? String
    }

    @Test(
        "300 handshakes without a certificate add 3 audit entries and one summary per port a minute; silent, idle and excess connections are closed"
    )
    func floods() async throws {
        let started = ContinuousClock.now
        let deployment = try await TaskSubmissionTests.Deployment(started: ["cp-b", "cp-c"])
        let path = deployment.path
        var configuration = try NodeConfiguration.read("\(path)/cp-a.json")
        configuration.handshakeTimeoutSeconds = 2
        configuration.idleTimeoutSeconds = 2
        configuration.maxConnectionsPerAddress = 20
        try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: "\(path)/cp-a.json"))
        let node = try TestNodeProcess(configuration: "\(path)/cp-a.json", port: deployment.ports[0])
        try await node.waitUntilListening()
        deployment.nodes.insert(node, at: 0)
        let (api, mpc) = (deployment.ports[0], deployment.ports[0] + 1)

        // Handshake floods on both ports: 300 TLS clients without a certificate each (one process, one at a time).
        for port in [api, mpc] {
            let flood = try await Subprocess.output(
                "python3",
                [
                    "-c",
                    """
                    import socket, ssl
                    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                    refused = 0
                    for _ in range(300):
                        try:
                            with context.wrap_socket(socket.create_connection(("127.0.0.1", \(port)), timeout=5)) as s:
                                s.sendall(b"GET /v1/health HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                                if not s.recv(1): refused += 1
                        except (ssl.SSLError, OSError):
                            refused += 1
                    print("refused", refused)
                    """,
                ])
            #expect(flood.stdout.contains("refused 300"), "\(flood.stdout) \(flood.stderr)")
        }
        // Connections that never handshake are closed after the handshake timeout (2 s); an address's 21st and later
        // connections at once are closed immediately.
        let silent = try await Self.rawConnections(10, port: api, early: 1, seconds: 6)
        #expect(silent.early == 0 && silent.all == 10, "\(silent)")
        let silentMPC = try await Self.rawConnections(10, port: mpc, early: 1, seconds: 6)
        #expect(silentMPC.early == 0 && silentMPC.all == 10, "\(silentMPC)")
        let excess = try await Self.rawConnections(40, port: api, early: 1, seconds: 6)
        #expect(excess.early == 20 && excess.all == 40, "\(excess)")
        // A member's connection that goes quiet after a request is closed after the idle timeout (2 s).
        let idle = try await Subprocess.output(
            "python3",
            [
                "-c",
                """
                import socket, ssl, time
                context = ssl.create_default_context(cafile="\(path)/root.pem")
                context.check_hostname = False
                context.load_cert_chain("\(path)/cp-b-node.pem", "\(path)/cp-b-node.key")
                s = context.wrap_socket(socket.create_connection(("127.0.0.1", \(api))))
                s.sendall(b"GET /v1/health HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
                s.recv(65536)
                start = time.time(); s.settimeout(10)
                try:
                    while s.recv(65536): pass
                except Exception: pass
                print(round(time.time() - start))
                """,
            ])
        #expect(
            ["2", "3"].contains(idle.stdout.trimmingCharacters(in: .whitespacesAndNewlines)),
            "\(idle.stdout) \(idle.stderr)")

        for node in deployment.nodes { try await node.expectCleanStop() }
        // The digest writes at most a few entries and one summary per reason a minute: the windows this test spanned.
        let windows = Int((ContinuousClock.now - started) / .seconds(60)) + 1
        let denied = try await deployment.audit("cp-a").filter {
            $0.action == .requestDenied && $0.actor.subject == "unauthenticated TLS peer"
        }
        for what in ["TLS handshake", "MPC connection"] {
            let entries = denied.filter { $0.details.contains(#""what":"\#(what)""#) }
            // Of one reason, three one by one; all beyond the ten detailed of a window go into one summary that counts
            // them (written at the latest when the node stops).
            let reasons = Dictionary(grouping: entries.compactMap { Self.reason(of: $0.details) }, by: { $0 })
            #expect(reasons.values.allSatisfy { $0.count <= 3 * windows }, "\(what): \(reasons.mapValues(\.count))")
            #expect(entries.count <= 11 * windows, "\(what): \(entries.count) entries in \(windows) minute(s)")
            let summaries = entries.filter { $0.details.contains(#""suppressed":"#) }
            #expect((1...windows).contains(summaries.count), "\(what): \(entries.map(\.details))")
        }
        #expect(denied.contains { $0.details.contains("no TLS handshake within") })
        #expect(denied.contains { $0.details.contains("more than 20 connections open") })
        #expect(denied.count < 20 * windows, "\(denied.count) refusal entries in \(windows) minute(s)")
    }
}
