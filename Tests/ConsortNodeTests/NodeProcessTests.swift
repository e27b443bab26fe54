import ConsortAudit
import ConsortNode
import ConsortPKI
import ConsortSpec
import ConsortTesting
import ConsortTransport
import Foundation
import Testing

/// A real `consort node run` process serving its API over mutual TLS, called with curl as members and outsiders.
@Suite("Service node over mutual TLS")
struct NodeProcessTests {
    @Test(
        "members in the directory are served; outsiders, foreign roots, revoked and certificate-less clients are refused and audited"
    )
    func admission() async throws {
        let directory = try Subprocess.temporaryDirectory("consort-node")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.path
        var consortium = try TestConsortium()
        try consortium.admit("cp-a", roles: [.compute])
        try consortium.admit("nso-north", roles: [.input])
        try consortium.admit("nso-x", roles: [.input])  // admitted by the operator, but not in the directory
        var foreign = try TestConsortium(name: "Foreign Operator")
        try foreign.admit("nso-north", roles: [.input])
        try PEMFiles.write(try PEMFiles.pem([consortium.root.certificate]), to: "\(path)/root.pem")
        try consortium.node("cp-a", ip: ["127.0.0.1"]).write(directory: path, name: "node")
        try consortium.user("nso-north", name: "alice", roles: [.signer]).write(directory: path, name: "alice")
        try consortium.user("cp-a", name: "ops", roles: [.admin]).write(directory: path, name: "ops")
        try consortium.user("nso-x", name: "bob", roles: [.signer]).write(directory: path, name: "bob")
        try foreign.user("nso-north", name: "eve", roles: [.signer]).write(directory: path, name: "eve")
        // carol's certificate is revoked by her member's CRL, which the node enforces.
        let carol = try consortium.user("nso-north", name: "carol", roles: [.signer])
        try carol.write(directory: path, name: "carol")
        try consortium.user("nso-north", name: "dave", roles: [.signer]).write(directory: path, name: "dave")
        try PEMFiles.write(
            consortium.crl(by: consortium.member("nso-north").authority, revoking: [carol.certificate]).pemString
                + "\n", to: "\(path)/nso-north.crl")
        try PEMFiles.write(consortium.crl(by: consortium.root).pemString + "\n", to: "\(path)/operator.crl")
        let members =
            #"{"members": [{"id": "cp-a", "name": "Compute A", "roles": ["compute"], "ca": "\#(try PEMFiles.pem([consortium.member("cp-a").authority.certificate]).replacingOccurrences(of: "\n", with: "\\n"))", "endpoint": "https://127.0.0.1:1"}, {"id": "nso-north", "name": "North", "roles": ["input"], "ca": "\#(try PEMFiles.pem([consortium.member("nso-north").authority.certificate]).replacingOccurrences(of: "\n", with: "\\n"))"}]}"#
        let signed = try MemberDirectory.readMembers(
            Array(members.utf8), baseDirectory: path, root: consortium.root.certificate
        )
        .signed(by: consortium.root.certificate, key: consortium.root.privateKey)
        try Data(signed).write(to: URL(fileURLWithPath: "\(path)/directory.json"))

        let consort = try TestEnvironment.consortExecutable().path
        let port = try FreePort.loopback()
        let initialise = [
            "node", "init", "--member", "cp-a", "--identity", "\(path)/node", "--root", "\(path)/root.pem",
            "--directory", "\(path)/directory.json", "--listen", "127.0.0.1:\(port)", "--out", "\(path)/node.json",
            "--crl", "\(path)/operator.crl", "--crl", "\(path)/nso-north.crl",
        ]
        // Revocation fails closed: without a CRL of every issuer in the directory the node is not set up.
        let withoutCPA = try Subprocess.run(consort, initialise)
        #expect(
            !withoutCPA.succeeded && withoutCPA.stderr.contains("no CRL of member 'cp-a'")
                && !FileManager.default.fileExists(atPath: "\(path)/node.json"), "\(withoutCPA.stderr)")
        try PEMFiles.write(
            consortium.crl(by: consortium.member("cp-a").authority).pemString + "\n", to: "\(path)/cp-a.crl")
        let initialised = try Subprocess.run(consort, initialise + ["--crl", "\(path)/cp-a.crl"])
        try #require(initialised.succeeded, "\(initialised.stderr)")
        // Look for changed CRL files every second (10 s by default).
        var configuration = try NodeConfiguration.read("\(path)/node.json")
        configuration.crlCheckSeconds = 1
        try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: "\(path)/node.json"))

        let node = try TestNodeProcess(configuration: "\(path)/node.json", port: port)
        try await node.waitUntilListening()

        func curl(_ identity: String?, _ route: String = "/v1/health") throws -> Subprocess.Output {
            var arguments = ["-s", "--max-time", "5", "--cacert", "\(path)/root.pem"]
            if let identity { arguments += ["--cert", "\(path)/\(identity).pem", "--key", "\(path)/\(identity).key"] }
            return try Subprocess.run("curl", arguments + ["https://127.0.0.1:\(port)\(route)"])
        }
        let served = try curl("alice")
        // Every path of Specs/openapi.yaml is served (an unknown task gives the API's 404, not the router's).
        let spec = try String(
            contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../Specs/openapi.yaml").standardized.path, encoding: .utf8)
        var specified: [(String, String)] = []
        var currentPath = ""
        for line in spec.split(separator: "\n") {
            if line.hasPrefix("  /") { currentPath = String(line.dropFirst(2).dropLast()) }
            if !currentPath.isEmpty, ["    get:", "    post:"].contains(String(line)) {
                specified.append((String(line.dropFirst(4).dropLast()), currentPath))
            }
        }
        #expect(specified.count == 23, "\(specified)")
        // The access policy has a rule for exactly the operations the API specifies.
        let ruled = AccessPolicy.builtIn.rules.flatMap { rule in rule.paths.map { "\(rule.method.lowercased()) \($0)" }
        }
        #expect(
            ruled.sorted() == specified.map { "\($0) \($1)" }.sorted(), "policy \(ruled.sorted()) vs API \(specified)")
        for (method, route) in specified {
            let concrete = route.replacingOccurrences(of: "{id}", with: "0000").replacingOccurrences(
                of: "{table}", with: "households")
            let response = try Subprocess.run(
                "curl",
                [
                    "-s", "-X", method.uppercased(), "--max-time", "5", "--cacert", "\(path)/root.pem",
                    "--cert", "\(path)/alice.pem", "--key", "\(path)/alice.key", "-d", method == "post" ? "{}" : "",
                    "https://127.0.0.1:\(port)\(concrete)",
                ])
            #expect(
                response.stdout.contains("\"error\"") || response.stdout.contains("\"status\":\"ok\"")
                    || response.stdout.contains("\"tasks\":[]"),
                "\(method) \(route) is not served by the node: \(response.stdout)")
        }
        #expect(
            served.succeeded && served.stdout.contains(#""member":"cp-a""#)
                && served.stdout.contains("consort://nso-north/user/alice"),
            "\(served.stdout) \(served.stderr)")
        // Metrics are for the member that runs the node.
        let metrics = try curl("ops", "/v1/metrics")
        #expect(
            metrics.stdout.contains("consort_tasks{state=\"accepted\"} 0")
                && metrics.stdout.contains("consort_requests_refused_total{code=\"notFound\"}")
                && metrics.stdout.contains("consort_certificate_expiry_timestamp_seconds{certificate=\"node\"} ")
                && metrics.stdout.contains("consort_certificate_expiry_timestamp_seconds{certificate=\"member-ca\"} ")
                && metrics.stdout.contains("consort_crl_next_update_timestamp_seconds{issuer="),
            "\(metrics.stdout)")
        let notOurs = try curl("alice", "/v1/metrics")
        #expect(
            notOurs.stdout.contains(#""error":"forbidden""#) && notOurs.stdout.contains("cp-a"), "\(notOurs.stdout)")
        for outsider in ["bob", "eve", "carol", nil] {
            let refused = try curl(outsider)
            #expect(!refused.succeeded, "\(outsider ?? "no certificate") was served: \(refused.stdout)")
        }
        // A fresh CRL revoking alice is dropped in place: the running node enforces it within seconds. A broken file
        // is refused and the lists in force stay.
        let alice = try PEMFiles.readCertificates("\(path)/alice.pem")[0]
        try "not a CRL".write(toFile: "\(path)/nso-north.crl", atomically: true, encoding: .utf8)
        try await Task.sleep(for: .seconds(2))
        #expect(try curl("alice").succeeded, "a broken CRL file changed what the node enforces")
        try PEMFiles.write(
            consortium.crl(by: consortium.member("nso-north").authority, revoking: [carol.certificate, alice])
                .pemString + "\n", to: "\(path)/nso-north.crl")
        let revokedBy = ContinuousClock.now + .seconds(15)
        while try curl("alice").succeeded, ContinuousClock.now < revokedBy {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(!(try curl("alice").succeeded), "alice is still served after her CRL revoked her")

        // The directory is replaced in place too. An older one and a broken file are refused (the directory in force
        // stays: dave of nso-north is still served); a newer one without nso-north is enforced at once.
        let original = try MemberDirectory.verify(
            Array(try Data(contentsOf: URL(fileURLWithPath: "\(path)/directory.json"))),
            root: consortium.root.certificate)
        // Written atomically, as an operator's tool would: a half-written file is refused as broken, which is right
        // but not what these steps test.
        func install(_ directory: MemberDirectory) throws {
            try Data(try directory.signed(by: consortium.root.certificate, key: consortium.root.privateKey)).write(
                to: URL(fileURLWithPath: "\(path)/directory.json"), options: .atomic)
        }
        func directoryUpdates(_ count: Int) async throws -> [String] {
            var updates: [String] = []
            let deadline = ContinuousClock.now + .seconds(20)
            while updates.count < count, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                let entries = try? await AuditStores.with(.sqlite(path: "\(path)/data/audit.db")) { store in
                    try await store.entries(from: 1, limit: 100_000)
                }
                updates = (entries ?? []).filter { $0.action == .directoryUpdated }.map(\.details)
            }
            return updates
        }
        var older = original
        older.issuedAt = original.issuedAt.addingTimeInterval(-3600)
        try install(older)
        #expect(try await directoryUpdates(1).last?.contains("never reinstated") == true)
        try "{}".write(toFile: "\(path)/directory.json", atomically: true, encoding: .utf8)
        #expect(try await directoryUpdates(2).last?.contains("refused") == true)
        #expect(try curl("dave").succeeded, "a refused directory changed what the node enforces")
        var newer = original
        newer.members.removeAll { $0.id.rawValue == "nso-north" }
        newer.issuedAt = Date()
        try install(newer)
        let loaded = try await directoryUpdates(3)
        #expect(loaded.last?.contains("loaded") == true && loaded.last?.contains("nso-north") == true, "\(loaded)")
        #expect(!(try curl("dave").succeeded), "dave is still served after the directory dropped nso-north")
        #expect(try curl("ops").succeeded, "a member the new directory lists is refused")

        try await node.expectCleanStop()

        // The audit log: started, three refusals (naming who), stopped.
        let entries = try await AuditStores.with(.sqlite(path: "\(path)/data/audit.db")) { store in
            try await store.entries(from: 1, limit: 100)
        }
        let actions = entries.map(\.action)
        #expect(actions.first == .nodeStarted && actions.last == .nodeStopped, "\(actions)")
        // Refused handshakes (the API's own refusals of the probes above are logged too, under the caller).
        let denials = entries.filter { $0.action == .requestDenied && $0.actor.subject == "unauthenticated TLS peer" }
            .map(\.details)
        // The four refused handshakes above, then alice's once her CRL revoked her.
        #expect(denials.filter { !$0.contains("alice") && !$0.contains("dave") }.count == 4, "\(denials)")
        #expect(denials.contains { $0.contains("dave") }, "\(denials)")
        #expect(denials.contains { $0.contains("alice") && $0.contains("revoked") }, "\(denials)")
        #expect(denials.contains { $0.contains("revoked") }, "\(denials)")
        #expect(
            entries.contains { $0.action == .requestDenied && $0.actor.subject == "consort://nso-north/user/alice" })
        // bob's member CA is the operator's but not in the directory: the node has no CRL of it, so it fails closed.
        #expect(denials.contains { $0.contains("CN=bob") && $0.contains("no CRL") }, "\(denials)")
        #expect(denials.contains { $0.contains("PEER_DID_NOT_RETURN_A_CERTIFICATE") }, "\(denials)")
        let updates = entries.filter { $0.action == .revocationUpdated }.map(\.details)
        #expect(
            updates.count == 2 && updates[0].contains("refused") && updates[1].contains("loaded"), "\(updates)")
    }
}
