import ArgumentParser
import ConsortPKI
import ConsortSpec
import Foundation
import X509

struct Directory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The member directory: the operator's signed list of members, their roles, CAs and node endpoints.",
        subcommands: [Sign.self, Show.self, Add.self, Remove.self, Revoke.self]
    )

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign members.json as the operator, checking every member CA under the operator root.",
            discussion: """
                members.json: {"members": [{"id": "cp-a", "name": "Compute A", "roles": ["compute"],
                "ca": "cp-a/member.pem", "endpoint": "https://127.0.0.1:7443"}]} — "ca" is a PEM file (relative to
                members.json) or the PEM text; "endpoint" only for members that run a reachable node; a computing
                party's MPC listener is on "mpcPort" of the endpoint's host (optional; default: the endpoint's port + 1).
                A member whose CA the operator has revoked is refused.

                Example:
                  consort directory sign --operator op --in members.json --out directory.json
                """
        )

        @Option(help: "The operator directory (operator.pem + operator.key).") var `operator`: String
        @Option(name: .customLong("in"), help: "members.json.") var input: String
        @Option(help: "Where to write the signed directory.") var out: String

        func run() async throws {
            let authority = try CertificateAuthority.load(directory: `operator`)
            guard authority.kind == .operator else {
                throw ValidationError("'\(`operator`)' is a member CA: the operator signs the directory")
            }
            try Files.refuseToOverwrite(out)
            let base = URL(fileURLWithPath: input).deletingLastPathComponent().path
            let directory = try MemberDirectory.readMembers(
                Array(try Data(contentsOf: URL(fileURLWithPath: input))), baseDirectory: base,
                root: authority.certificate)
            try Directory.refuseRevoked(directory.members, registry: try RevocationRegistry.load(directory: `operator`))
            try Data(try directory.signed(by: authority.certificate, key: authority.privateKey)).write(
                to: URL(fileURLWithPath: out))
            print("signed a directory of \(directory.members.count) member(s) to \(out)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a signed directory under the operator root and list its members.",
            discussion: """
                Example:
                  consort directory show directory.json --root op/operator.pem
                """
        )

        @Argument(help: "The signed directory.") var file: String
        @Option(help: "The operator root certificate to verify against.") var root: String

        func run() async throws {
            let anchor = try PEMFiles.readCertificates(root)[0]
            let directory = try MemberDirectory.verify(
                Array(try Data(contentsOf: URL(fileURLWithPath: file))), root: anchor)
            print(
                "directory signed by \(anchor.subject), issued \(DocumentReader.formatTimestamp(directory.issuedAt)): verified"
            )
            for member in directory.members {
                let fingerprint = Files.colonFingerprint(VerifiedIdentity.fingerprint(of: member.certificate))
                print(
                    "  \(member.id)  \(member.name)  roles: \(member.roles.sorted().map(\.rawValue).joined(separator: ","))"
                        + (member.endpoint.map { "  node: \($0.absoluteString)" } ?? "")
                        + (member.mpcPort.map { "  mpc port: \($0)" } ?? ""))
                print(
                    "      CA \(fingerprint.prefix(23))…  valid until \(DocumentReader.formatTimestamp(member.certificate.notValidAfter))"
                )
            }
        }
    }
}
