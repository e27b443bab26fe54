import ConsortNode
import ConsortPKI
import ConsortQuery
import ConsortSpec
import ConsortTransport
import Foundation
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

extension Demo {
    /// What each member's people do in the walk-through, as internal roles of the identities its node holds (and of
    /// its web UI user).
    static func uiRoles(_ roles: Set<MemberRole>) -> [InternalRole] {
        if roles.contains(.input) { return [.signer, .uploader] }
        if roles.contains(.output) { return [.signer, .analyst] }
        if roles.contains(.auditor) { return [.auditor] }
        return [.signer]
    }

    /// `consort demo --ui`: every member's node with its web UI, a one-time sign-in link for each, the draft task and
    /// the offices' CSVs on disk; runs until interrupted.
    func walkthrough(in root: String, stores: [String]) async throws {
        let members = DemoConsortium.members
        let consortium = try DemoConsortium(in: root, nodes: members.map(\.id))
        defer { consortium.stop() }
        let uiPorts = Dictionary(uniqueKeysWithValues: zip(members.map(\.id), try FreePort.loopback(count: 7)))
        var links: [String: String] = [:]
        for (id, _, roles) in members {
            let store =
                DemoConsortium.computing.firstIndex(of: id).map { stores[$0] } ?? "sqlite:\(root)/\(id)/data/audit.db"
            var configuration = try consortium.configuration(id, store: store)
            let ui = "127.0.0.1:\(uiPorts[id]!)"
            configuration.ui = ui
            var identities: [String: String] = [:]
            for role in Self.uiRoles(roles) {
                identities[role.rawValue] = try consortium.user(id, role.rawValue, [role])
            }
            configuration.identities = identities
            // One web UI user per member; the password is kept next to the node for signing in again later.
            let data = "\(root)/\(id)/data"
            let password = DemoPassword.random()
            try LocalUsers.add(name: "demo", roles: Set(Self.uiRoles(roles)), password: password, data: data)
            guard
                FileManager.default.createFile(
                    atPath: "\(root)/\(id)/ui-password", contents: Data((password + "\n").utf8),
                    attributes: [.posixPermissions: 0o600])
            else { throw CommandFailure("cannot write \(root)/\(id)/ui-password") }
            links[id] = "http://\(ui)/sign-in/link/\(try SignInLinks.issue(user: "demo", data: data, validFor: 86_400))"
            try consortium.start(id, configuration)
        }

        // The draft a statistics office proposes, and each office's data (and a file with mistakes in it).
        let draft = ExampleSpecification.householdIncome(
            now: Date(), query: ExampleSpecification.householdQuery, id: "hh-income-demo",
            title: "Household income by region (demo)")
        try draft.write(toFile: "\(root)/household-draft.json", atomically: true, encoding: .utf8)
        let cts = try SpecificationDocument(bytes: Array(draft.utf8)).validSpecification(engines: EngineRegistry.shared)
        let table = cts.table(named: "households")!
        for (index, office) in ["nso-north", "nso-south"].enumerated() {
            let csv = try DataSynth.csv(
                table: table, rows: self.records / 2 + (index == 0 ? self.records % 2 : 0), seed: UInt64(index + 1))
            try csv.write(toFile: "\(root)/\(office)/households.csv", atomically: true, encoding: .utf8)
            try Self.withMistakes(csv).write(
                toFile: "\(root)/\(office)/households-with-errors.csv", atomically: true, encoding: .utf8)
        }
        try await consortium.waitUntilListening()

        print("a consortium of 7 members, each with its node and web UI (files in \(root)):\n")
        for (id, _, roles) in members {
            let what = Self.uiRoles(roles).map(\.rawValue).joined(separator: ", ")
            print("  \(id.padding(toLength: 10, withPad: " ", startingAt: 0)) \(links[id]!)")
            print("  \(String(repeating: " ", count: 10)) user demo (\(what)); password in \(root)/\(id)/ui-password")
        }
        print(
            """

            each link signs in once; then:
              1. nso-north: New proposal, choose \(root)/household-draft.json, Propose
              2. nso-north, nso-south, eurostat, cp-a, cp-b, cp-c: open the proposal, Sign
              3. nso-north and nso-south: open the task, upload households.csv from the office's folder
                 (households-with-errors.csv first shows how mistakes are listed; nothing is shared then)
              4. eurostat: open the task, See the result
              5. auditor: Audit, Pull and verify every node's log
            a new link: consort node user link --config \(root)/MEMBER/node.json --name demo

            the nodes run until interrupted (Ctrl-C)
            """)
        fflush(nil)  // the links are read from a pipe or file while the demo waits
        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { break }
        print("stopping the nodes")
    }

    /// `csv` with three of its data lines spoiled: an income that is not a number, an age out of range, a region
    /// outside the model.
    static func withMistakes(_ csv: String) -> String {
        var lines = csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        func spoil(_ line: Int, _ column: String, _ value: String) {
            guard lines.indices.contains(line), let index = header.firstIndex(of: column) else { return }
            var fields = lines[line].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[index] = value
            lines[line] = fields.joined(separator: ",")
        }
        spoil(2, "income", "unknown")
        spoil(4, "age", "250")
        spoil(7, "region", "Atlantis")
        return lines.joined(separator: "\n")
    }
}

/// A password for a demo user: 24 characters from the system's CSPRNG.
enum DemoPassword {
    static func random() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<24).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
