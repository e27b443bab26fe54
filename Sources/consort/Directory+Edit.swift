import ArgumentParser
import ConsortPKI
import ConsortSpec
import Foundation
import X509

extension Directory {
    /// The options every directory change takes: who signs and which file.
    struct EditTarget: ParsableArguments {
        @Option(help: "The operator directory (operator.pem + operator.key).") var `operator`: String
        @Option(help: "The signed directory, rewritten in place.") var directory: String
    }

    /// The operator's CA and the signed directory it keeps, verified under the operator root: what `add`, `remove`
    /// and `revoke` change and sign again in place as a new version.
    struct Edit {
        let authority: CertificateAuthority
        let path: String
        var directory: MemberDirectory

        init(operator directory: String, path: String) throws {
            self.authority = try CertificateAuthority.load(directory: directory)
            guard self.authority.kind == .operator else {
                throw ValidationError("'\(directory)' is a member CA: the operator keeps the directory")
            }
            self.path = path
            let bytes: Data
            do { bytes = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw ValidationError("cannot read the directory '\(path)': \(error.localizedDescription)")
            }
            self.directory = try MemberDirectory.verify(Array(bytes), root: self.authority.certificate)
        }

        /// The entry of `id`, or an error naming the members there are.
        func member(_ id: String) throws -> MemberDirectory.Member {
            guard let member = self.directory.members.first(where: { $0.id.rawValue == id }) else {
                throw ValidationError(
                    "'\(self.path)' lists no member '\(id)' (members: "
                        + "\(self.directory.members.map(\.id.rawValue).joined(separator: ", ")))")
            }
            return member
        }

        /// Takes `member` out; a directory lists at least one member.
        mutating func remove(_ member: MemberDirectory.Member) throws {
            guard self.directory.members.count > 1 else {
                throw ValidationError(
                    "'\(member.id)' is the last member of '\(self.path)': a directory lists at least one")
            }
            self.directory.members.removeAll { $0.id == member.id }
        }

        /// Signs the changed directory and replaces the file atomically. The new version is issued after the old
        /// one even if the clock went back, so a node can always tell which is newer.
        mutating func write() throws {
            self.directory.issuedAt = max(Date(), self.directory.issuedAt.addingTimeInterval(1))
            let signed = try self.directory.signed(by: self.authority.certificate, key: self.authority.privateKey)
            try PEMFiles.write(String(decoding: signed, as: UTF8.self), to: self.path)
        }
    }

    /// Refuses a directory that lists a member whose CA the operator has revoked.
    static func refuseRevoked(_ members: [MemberDirectory.Member], registry: RevocationRegistry) throws {
        for member in members {
            if let revocation = registry.revocation(of: member.certificate) {
                throw ValidationError(
                    "member '\(member.id)': its CA certificate (serial \(revocation.serial)) was revoked on "
                        + "\(DocumentReader.formatTimestamp(revocation.revokedAt)) (\(revocation.reason.name)); "
                        + "a directory may not list it")
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Admit a member to the signed directory and sign the new version in place.",
            discussion: """
                The member CA must be issued by the operator root for that id (consort pki admit), grant at least
                the roles listed, be valid now and not be revoked. Nodes pick up the new directory when it is
                installed in their configuration.

                Example:
                  consort directory add --operator op --directory directory.json --id cp-d \\
                      --name "Compute D" --roles compute --ca cp-d/member.pem \\
                      --endpoint https://10.0.0.4:7443
                """
        )

        @OptionGroup var target: EditTarget
        @Option(help: "The member id (as in its CA certificate).") var id: String
        @Option(help: "The member's display name.") var name: String
        @Option(help: "Comma-separated roles: input, output, compute, auditor.") var roles: String
        @Option(help: "The member CA certificate (PEM file).") var ca: String
        @Option(help: "https://host:port of the member's node, if it runs one others reach.") var endpoint: String?
        @Option(help: "A computing party's MPC port (default: the endpoint's port + 1).") var mpcPort: Int?

        func run() async throws {
            var edit = try Edit(operator: target.operator, path: target.directory)
            guard !edit.directory.members.contains(where: { $0.id.rawValue == id }) else {
                throw ValidationError(
                    "'\(target.directory)' already lists '\(id)': remove it first to change its entry")
            }
            let certificates = try PEMFiles.readCertificates(ca)
            let member = try MemberDirectory.member(
                id: id, name: name, roleNames: roles.split(separator: ",").map(String.init),
                certificate: certificates[0],
                endpoint: endpoint, mpcPort: mpcPort, at: "--ca", root: edit.authority.certificate, now: Date())
            try Directory.refuseRevoked([member], registry: try RevocationRegistry.load(directory: target.operator))
            edit.directory = try MemberDirectory(
                checking: edit.directory.members + [member], issuedAt: edit.directory.issuedAt)
            try edit.write()
            print("added \(id) to \(target.directory): \(edit.directory.members.count) member(s), signed anew")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a member from the signed directory and sign the new version in place.",
            discussion: """
                Its CA is not revoked (use 'consort directory revoke' when its keys must no longer be trusted).

                Example:
                  consort directory remove --operator op --directory directory.json --id cp-d
                """
        )

        @OptionGroup var target: EditTarget
        @Option(help: "The member to remove.") var id: String

        func run() async throws {
            var edit = try Edit(operator: target.operator, path: target.directory)
            try edit.remove(try edit.member(id))
            try edit.write()
            print("removed \(id) from \(target.directory): \(edit.directory.members.count) member(s), signed anew")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a member's CA, remove the member from the directory, and optionally publish the CRL.",
            discussion: """
                The revocation is recorded first (so a failure later leaves it revoked, and running the command
                again finishes the removal). Every node enforces the operator's next CRL within crlCheckSeconds.

                Example:
                  consort directory revoke --operator op --directory directory.json --id cp-c \\
                      --reason key-compromise --crl crls/operator.crl
                """
        )

        @OptionGroup var target: EditTarget
        @Option(help: "The member whose CA is revoked.") var id: String
        @Option(help: "Reason: \(RevocationReason.allCases.map(\.name).joined(separator: ", ")).")
        var reason: String = "unspecified"
        @Option(help: "Also issue the operator's next CRL to this file (PEM).") var crl: String?
        @Option(help: "Days until that CRL's nextUpdate.") var days: Int = 7

        func run() async throws {
            let reason = try RevocationReason(name: reason)
            var edit = try Edit(operator: target.operator, path: target.directory)
            let member = try edit.member(id)
            try edit.remove(member)  // in memory: refused before anything is revoked if it is the last
            var registry = try RevocationRegistry.load(directory: target.operator)
            if registry.revocation(of: member.certificate) == nil {
                try registry.revoke(member.certificate, by: edit.authority, reason: reason)
                try registry.save(directory: target.operator)
            }
            try edit.write()
            print(
                "revoked the CA of \(id) and removed it from \(target.directory): \(edit.directory.members.count) member(s)"
            )
            if let crl {
                let list = try registry.issueCRL(by: edit.authority, days: days)
                try PEMFiles.write(list.pemString, to: crl)
                try registry.save(directory: target.operator)
                print("CRL #\(registry.lastCRLNumber): \(list.entries.count) revoked -> \(crl)")
            } else {
                print("publish it: consort pki crl --ca \(target.operator) --out FILE")
            }
        }
    }
}
