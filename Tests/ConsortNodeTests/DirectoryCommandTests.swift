import ConsortPKI
import ConsortSpec
import ConsortTesting
import Foundation
import Testing
import X509

/// The operator keeps the member directory with commands, not by editing JSON: `directory add`, `remove` and
/// `revoke` change the signed directory in place, and neither they nor `directory sign` list a revoked member.
@Suite("The operator's directory commands")
struct DirectoryCommandTests {
    let path: String

    init() throws { self.path = try Subprocess.temporaryDirectory("consort-directory").path }

    func consort(_ arguments: [String]) throws -> Subprocess.Output {
        try Subprocess.run(try TestEnvironment.consortExecutable().path, arguments)
    }

    /// Runs a command that must succeed.
    @discardableResult
    func succeed(_ arguments: [String]) throws -> String {
        let run = try self.consort(arguments)
        try #require(run.succeeded, "consort \(arguments.joined(separator: " ")): \(run.stderr)")
        return run.stdout
    }

    /// A member CA for `member`, admitted by the operator with `roles`.
    func admit(_ member: String, roles: String) throws {
        try self.succeed([
            "pki", "request", "--member", member, "--name", "Org \(member)", "--out", "\(path)/\(member)",
        ])
        try self.succeed([
            "pki", "admit", "--operator", "\(path)/op", "--csr", "\(path)/\(member)/member.csr", "--roles", roles,
            "--out", "\(path)/\(member)/member.pem",
        ])
    }

    func members() throws -> [String] {
        let root = try PEMFiles.readCertificates("\(path)/op/operator.pem")[0]
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(path)/directory.json"))
        return try MemberDirectory.verify(Array(bytes), root: root).members.map(\.id.rawValue)
    }

    @Test("add, remove and revoke sign a new directory; a revoked member CA is refused by add and by sign")
    func addRemoveRevoke() throws {
        defer { try? FileManager.default.removeItem(atPath: self.path) }
        try self.succeed(["pki", "init-operator", "--name", "Test Consortium", "--out", "\(path)/op"])
        for (member, roles) in [("cp-a", "compute"), ("cp-b", "compute"), ("nso", "input"), ("late", "output")] {
            try self.admit(member, roles: roles)
        }
        let json = """
            {"members": [
              {"id": "cp-a", "name": "Compute A", "roles": ["compute"], "ca": "cp-a/member.pem",
               "endpoint": "https://127.0.0.1:7443"},
              {"id": "nso", "name": "Statistics", "roles": ["input"], "ca": "nso/member.pem"}
            ]}
            """
        try json.write(toFile: "\(path)/members.json", atomically: true, encoding: .utf8)
        let directory = "\(path)/directory.json"
        let edit = ["--operator", "\(path)/op", "--directory", directory]
        try self.succeed([
            "directory", "sign", "--operator", "\(path)/op", "--in", "\(path)/members.json", "--out", directory,
        ])
        let first = try Data(contentsOf: URL(fileURLWithPath: directory))

        try self.succeed(
            ["directory", "add"] + edit + [
                "--id", "cp-b", "--name", "Compute B", "--roles", "compute", "--ca", "\(path)/cp-b/member.pem",
                "--endpoint", "https://127.0.0.1:7445", "--mpc-port", "7450",
            ])
        #expect(try self.members() == ["cp-a", "nso", "cp-b"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory)) != first)

        // Refused, the file unchanged: a duplicate id, a CA of another member, roles the CA does not grant.
        let afterAdd = try Data(contentsOf: URL(fileURLWithPath: directory))
        let refusals: [([String], String)] = [
            (
                ["--id", "cp-b", "--name", "B", "--roles", "compute", "--ca", "\(path)/cp-b/member.pem"],
                "already lists"
            ),
            (
                ["--id", "late", "--name", "Late", "--roles", "output", "--ca", "\(path)/nso/member.pem"],
                "for member 'nso'"
            ),
            (
                ["--id", "late", "--name", "Late", "--roles", "compute", "--ca", "\(path)/late/member.pem"],
                "admitted with roles"
            ),
        ]
        for (arguments, reason) in refusals {
            let run = try self.consort(["directory", "add"] + edit + arguments)
            #expect(!run.succeeded && run.stderr.contains(reason) && !run.stderr.contains("USAGE"), "\(run.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory)) == afterAdd)

        // Revoke cp-a: recorded in the operator's registry, out of the directory, in the CRL.
        let crl = "\(path)/crls/operator.crl"
        let revoked = try self.succeed(
            ["directory", "revoke"] + edit + ["--id", "cp-a", "--reason", "key-compromise", "--crl", crl])
        #expect(revoked.contains("removed it"), "\(revoked)")
        #expect(try self.members() == ["nso", "cp-b"])
        let caOfA = try PEMFiles.readCertificates("\(path)/cp-a/member.pem")[0]
        let list = try CertificateRevocationList.read(crl)
        #expect(list.entries.map(\.serialNumber) == [caOfA.serialNumber])
        #expect(try RevocationRegistry.load(directory: "\(path)/op").revocation(of: caOfA)?.reason == .keyCompromise)

        // A revoked member may come back neither by add nor by a members.json that still lists it.
        let back = try self.consort(
            ["directory", "add"] + edit + [
                "--id", "cp-a", "--name", "A", "--roles", "compute", "--ca", "\(path)/cp-a/member.pem",
            ])
        #expect(!back.succeeded && back.stderr.contains("was revoked"), "\(back.stderr)")
        let resign = try self.consort([
            "directory", "sign", "--operator", "\(path)/op", "--in", "\(path)/members.json", "--out",
            "\(path)/new.json",
        ])
        #expect(
            !resign.succeeded && resign.stderr.contains("member 'cp-a'") && resign.stderr.contains("was revoked"),
            "\(resign.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(path)/new.json"))

        // Remove keeps the CA valid; the last member cannot be removed; an unknown id is named.
        try self.succeed(["directory", "remove"] + edit + ["--id", "cp-b"])
        #expect(try self.members() == ["nso"])
        let last = try self.consort(["directory", "remove"] + edit + ["--id", "nso"])
        #expect(!last.succeeded && last.stderr.contains("last member"), "\(last.stderr)")
        let unknown = try self.consort(["directory", "revoke"] + edit + ["--id", "cp-z"])
        #expect(!unknown.succeeded && unknown.stderr.contains("no member 'cp-z'"), "\(unknown.stderr)")
        #expect(try self.members() == ["nso"])
        #expect(try RevocationRegistry.load(directory: "\(path)/op").revocations.count == 1)
    }
}
