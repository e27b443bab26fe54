import ConsortAudit
import ConsortNode
import ConsortPKI
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

/// Three computing-party node processes; members submit signed CTSs with `consort task submit` and follow them with
/// `consort task status`, over mutual TLS.
@Suite("Task submission to computing-party nodes")
struct TaskSubmissionTests {
    @Test("a completely signed CTS is accepted by every computing party; an incomplete one is refused, with audit entries")
    func submission() async throws {
        let directory = try Subprocess.temporaryDirectory("consort-tasks")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.path
        let (consortium, signers) = try TestConsortium.household()
        try PEMFiles.write(try PEMFiles.pem([consortium.root.certificate]), to: "\(path)/root.pem")
        let computing = ["cp-a", "cp-b", "cp-c"]
        let ports = try FreePort.loopback(count: 3)
        // The directory: every member, CP nodes with endpoints.
        let entries = try TestSpecifications.householdMembers.map { id, roles -> String in
            let pem = try PEMFiles.pem([try consortium.member(id).authority.certificate]).replacingOccurrences(of: "\n", with: "\\n")
            let endpoint = computing.firstIndex(of: id).map { #", "endpoint": "https://127.0.0.1:\#(ports[$0])""# } ?? ""
            return #"{"id": "\#(id)", "name": "Org \#(id)", "roles": [\#(roles.map { "\"\($0)\"" }.joined(separator: ","))], "ca": "\#(pem)"\#(endpoint)}"#
        }
        let signedDirectory = try MemberDirectory.readMembers(Array(#"{"members": [\#(entries.joined(separator: ", "))]}"#.utf8), baseDirectory: path,
                                                             root: consortium.root.certificate)
            .signed(by: consortium.root.certificate, key: consortium.root.privateKey)
        try Data(signedDirectory).write(to: URL(fileURLWithPath: "\(path)/directory.json"))

        var nodes: [TestNodeProcess] = []
        for (index, member) in computing.enumerated() {
            try consortium.node(member, ip: ["127.0.0.1"]).write(directory: path, name: "\(member)-node")
            let configuration = NodeConfiguration(member: member, identity: "\(path)/\(member)-node", root: "\(path)/root.pem",
                                                  directory: "\(path)/directory.json", listen: "127.0.0.1:\(ports[index])",
                                                  store: "sqlite:\(path)/\(member)/audit.db", data: "\(path)/\(member)")
            try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: "\(path)/\(member).json"))
            nodes.append(try TestNodeProcess(configuration: "\(path)/\(member).json", port: ports[index]))
        }
        for node in nodes { try await node.waitUntilListening() }

        // Signed by every required member, and the same CTS missing eurostat's signature.
        let payload = Array(TestSpecifications.householdIncome().utf8)
        var complete = MultiSignatureJWS(payload: payload)
        var incomplete = MultiSignatureJWS(payload: Array(TestSpecifications.householdIncome(query: "SELECT COUNT(*) AS n FROM households").utf8))
        for id in ["nso-north", "nso-south", "eurostat", "cp-a", "cp-b", "cp-c"] {
            let member = try MemberID(id)
            try complete.sign(as: try #require(signers[member]), member: member)
            if id != "eurostat" { try incomplete.sign(as: try #require(signers[member]), member: member) }
        }
        try Data(complete.serialized()).write(to: URL(fileURLWithPath: "\(path)/complete.json"))
        try Data(incomplete.serialized()).write(to: URL(fileURLWithPath: "\(path)/incomplete.json"))
        try signers[try MemberID("nso-north")]!.write(directory: path, name: "alice")

        let consort = try TestEnvironment.consortExecutable().path
        let client = ["--identity", "\(path)/alice", "--directory", "\(path)/directory.json", "--root", "\(path)/root.pem"]
        let submitted = try Subprocess.run(consort, ["task", "submit", "\(path)/complete.json"] + client)
        #expect(submitted.succeeded, "\(submitted.stdout) \(submitted.stderr)")
        #expect(submitted.stdout.components(separatedBy: #""state":"accepted""#).count == 4, "\(submitted.stdout)")
        #expect(submitted.stdout.contains("task \(complete.taskID)"))
        let again = try Subprocess.run(consort, ["task", "submit", "\(path)/complete.json"] + client)
        #expect(again.succeeded && again.stdout.components(separatedBy: ": 200 ").count == 4, "a resubmission is not idempotent: \(again.stdout)")

        let status = try Subprocess.run(consort, ["task", "status", complete.taskID] + client)
        #expect(status.stdout.components(separatedBy: #""state":"accepted""#).count == 4, "\(status.stdout)")

        let refused = try Subprocess.run(consort, ["task", "submit", "\(path)/incomplete.json"] + client)
        #expect(!refused.succeeded)
        #expect(refused.stdout.components(separatedBy: "missing signatures of eurostat").count == 4, "\(refused.stdout)")

        for node in nodes { #expect(try await node.stop() == 0) }
        for member in computing {
            let entries = try await AuditStores.with(.sqlite(path: "\(path)/\(member)/audit.db")) { try await $0.entries(from: 1, limit: 100) }
            let accepted = entries.filter { $0.action == .ctsAccepted }
            let rejected = entries.filter { $0.action == .ctsRejected }
            #expect(accepted.count == 1 && accepted[0].taskID == complete.taskID, "\(member): \(entries.map(\.action))")
            #expect(rejected.count == 1 && rejected[0].taskID == incomplete.taskID && rejected[0].details.contains("eurostat"), "\(member)")
            #expect(entries.filter { $0.action == .ctsReceived }.count == 3, "\(member): \(entries.map(\.action))")
        }
    }
}
