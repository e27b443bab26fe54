import ConsortNode
import ConsortPKI
import ConsortTesting
import Foundation
import Testing

/// `consort node check` against real node processes: what a host sees before starting its node and beside it.
// In the serialized suite of node deployments: three more node processes beside it would overload two cores.
extension TaskSubmissionTests {
    @Test(
        "a node before its start and beside it; each fault that would stop it named: port, certificate, root, signature, store"
    )
    func preflight() async throws {
        let deployment = try await TaskSubmissionTests.Deployment(started: ["cp-a", "cp-b"])
        let path = deployment.path
        func check(_ arguments: [String]) throws -> Subprocess.Output {
            try Subprocess.run(deployment.consort, ["node", "check"] + arguments)
        }

        // cp-c has never run: its ports are free and its store does not exist yet; cp-a and cp-b answer.
        let fresh = try check(["--config", "\(path)/cp-c.json"])
        #expect(fresh.succeeded, "\(fresh.stdout) \(fresh.stderr)")
        for line in [
            "ok    configuration: node of cp-c", "ok    build: consort ", ", commit unknown, measurement ",
            "ok    certificates: node certificate until", "ok    CRLs:",
            "ok    directory: 8 member(s)", "ok    ports: API 127.0.0.1:\(deployment.ports[2]) is free",
            "warn  store: \(path)/cp-c/audit.db does not exist yet", "cp-a at https://127.0.0.1:\(deployment.ports[0])",
            "cp-b at https://127.0.0.1:\(deployment.ports[1]): reachable over mutual TLS, clock",
        ] {
            #expect(fresh.stdout.contains(line), "no '\(line)' in:\n\(fresh.stdout)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(path)/cp-c/audit.db"), "the check created the store")

        // Beside the running cp-a: its ports are taken, its store holds its log, cp-c cannot be reached.
        let running = try check(["--config", "\(path)/cp-a.json"])
        #expect(running.succeeded, "\(running.stdout) \(running.stderr)")
        #expect(
            running.stdout.contains("ok    ports: API 127.0.0.1:\(deployment.ports[0]) is in use by this node"),
            "\(running.stdout)")
        #expect(running.stdout.contains("ok    store: sqlite:\(path)/cp-a/audit.db answers"), "\(running.stdout)")
        #expect(
            running.stdout.contains("warn  peers: cp-c at") && running.stdout.contains("unreachable"),
            "\(running.stdout)")

        // No skew is allowed at all: the measured one (never exactly zero) fails the check.
        let strict = try check(["--config", "\(path)/cp-c.json", "--max-skew", "0"])
        #expect(
            !strict.succeeded && strict.stdout.contains("FAIL  peers: cp-a") && strict.stdout.contains("NTP"),
            "\(strict.stdout)")

        // What keeps a node from starting, each named: a port another process holds (cp-a's, for cp-c), an expired
        // node certificate, a root that did not sign the directory, a directory whose signature does not verify, an
        // unreachable store.
        let expired = try deployment.consortium.member("cp-c").issueNode(
            ipAddresses: ["127.0.0.1"], days: 1, now: Date().addingTimeInterval(-3 * 86_400))
        try expired.write(directory: path, name: "cp-c-expired")
        let foreign = try TestConsortium(name: "Foreign Operator")
        try PEMFiles.write(try PEMFiles.pem([foreign.root.certificate]), to: "\(path)/foreign-root.pem")
        var tampered = try Data(contentsOf: URL(fileURLWithPath: "\(path)/directory.json"))
        let signatureAt = try #require(tampered.range(of: Data(#""signature":""#.utf8))).upperBound
        tampered[signatureAt + 5] =
            tampered[signatureAt + 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        try tampered.write(to: URL(fileURLWithPath: "\(path)/tampered.json"))
        let faults: [(String, (inout NodeConfiguration) -> Void, String)] = [
            (
                "port", { $0.listen = "127.0.0.1:\(deployment.ports[0])" },
                "FAIL  ports: API 127.0.0.1:\(deployment.ports[0]) is in use by another process"
            ),
            (
                "expired", { $0.identity = "\(path)/cp-c-expired" },
                "FAIL  configuration: 'CN=cp-c node,O=Org cp-c' expired at"
            ),
            (
                "root", { $0.root = "\(path)/foreign-root.pem" },
                "FAIL  configuration: the directory is not signed by this operator root (CN=Foreign"
            ),
            (
                "signature", { $0.directory = "\(path)/tampered.json" },
                "FAIL  configuration: the directory is not signed by this operator root (CN=Test"
            ),
            (
                "store", { $0.store = "postgres://consort@127.0.0.1:1/consort" },
                "FAIL  store: postgres://consort@127.0.0.1:1/consort"
            ),
        ]
        for (name, change, line) in faults {
            var configuration = try NodeConfiguration.read("\(path)/cp-c.json")
            change(&configuration)
            try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: "\(path)/\(name).json"))
            let faulty = try check(["--config", "\(path)/\(name).json"])
            #expect(!faulty.succeeded && faulty.stdout.contains(line), "\(name): \(faulty.stdout)")
        }

        // A configuration that points at a missing directory fails at once, naming it.
        var text = try String(contentsOfFile: "\(path)/cp-c.json", encoding: .utf8)
        text = text.replacingOccurrences(of: "directory.json", with: "missing.json")
        try text.write(toFile: "\(path)/broken.json", atomically: true, encoding: .utf8)
        let broken = try check(["--config", "\(path)/broken.json"])
        #expect(
            !broken.succeeded && broken.stdout.contains("FAIL  configuration")
                && broken.stdout.contains("missing.json"), "\(broken.stdout)")

        // The health probe: cp-a answers as itself; cp-c (never started) does not, and says so.
        let healthy = try Subprocess.run(deployment.consort, ["node", "health", "--config", "\(path)/cp-a.json"])
        #expect(healthy.succeeded && healthy.stdout.contains("ok: the node of cp-a answers"), "\(healthy.stdout)")
        let down = try Subprocess.run(deployment.consort, ["node", "health", "--config", "\(path)/cp-c.json"])
        #expect(
            !down.succeeded
                && down.stderr.contains("the node of cp-c on 127.0.0.1:\(deployment.ports[2]) does not answer"),
            "\(down.stderr)")
        // cp-b's configuration pointed at cp-a's port: something answers, but not as cp-b.
        var impostor = try NodeConfiguration.read("\(path)/cp-b.json")
        impostor.listen = "127.0.0.1:\(deployment.ports[0])"
        try JSONEncoder().encode(impostor).write(to: URL(fileURLWithPath: "\(path)/impostor.json"))
        let other = try Subprocess.run(deployment.consort, ["node", "health", "--config", "\(path)/impostor.json"])
        #expect(!other.succeeded && other.stderr.contains("does not answer as itself"), "\(other.stderr)")

        for node in deployment.nodes { try await node.expectCleanStop() }
    }
}
