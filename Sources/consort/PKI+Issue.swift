import ArgumentParser
import ConsortPKI
import Foundation
import X509

extension PKI {
    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a node or user certificate from a member CA (NAME.pem with the chain, NAME.key).",
            discussion: """
                --ca is the member directory holding member.key and member.pem. A node certificate names
                consort://<member>/node; a user certificate consort://<member>/user/<NAME> with its internal role.

                Examples:
                  consort pki issue --ca north --kind node --name node \\
                    --dns node.north.example --ip 127.0.0.1 --out north
                  consort pki issue --ca north --kind user --name alice --role signer \\
                    --out north
                """
        )

        enum Kind: String, ExpressibleByArgument, CaseIterable {
            case node
            case user
        }

        @Option(help: "The member CA directory (member.pem, member.key).")
        var ca: String

        @Option(help: "node or user.")
        var kind: Kind

        @Option(help: "File name (node) or user name (user).")
        var name: String

        @Option(help: "A DNS name of the node endpoint (repeatable).")
        var dns: [String] = []

        @Option(help: "An IP address of the node endpoint (repeatable).")
        var ip: [String] = []

        @Option(help: "Internal role of a user: signer, uploader, analyst, admin (repeatable).")
        var role: [String] = []

        @Option(help: "Directory to write NAME.pem and NAME.key into.")
        var out: String

        @Option(help: "Validity in days (never beyond the member CA's).")
        var days: Int = 365

        func run() async throws {
            try ConsortIdentity.validateUserName(name)
            try Files.refuseToOverwrite("\(out)/\(name).key", "\(out)/\(name).pem")
            let authority = try MemberAuthority(CertificateAuthority.load(directory: ca))
            let identity: SigningIdentity
            switch kind {
            case .node:
                guard role.isEmpty else { throw ValidationError("--role is for user certificates only") }
                identity = try authority.issueNode(dnsNames: dns, ipAddresses: ip, days: days)
            case .user:
                guard dns.isEmpty && ip.isEmpty else {
                    throw ValidationError("--dns and --ip are for node certificates only")
                }
                let roles = Set(try role.map(InternalRole.init(parsing:)))
                identity = try authority.issueUser(name: name, roles: roles, days: days)
            }
            try identity.write(directory: out, name: name)
            let uri = try VerifiedIdentityPrinter.uri(of: identity.certificate)
            print("issued \(uri): \(out)/\(name).pem (key: \(out)/\(name).key)")
            print("valid until: \(identity.certificate.notValidAfter.formatted(.iso8601))")
        }
    }
}
