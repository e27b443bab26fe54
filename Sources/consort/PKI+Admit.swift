import ArgumentParser
import ConsortPKI
import Foundation
import X509

extension PKI {
    struct Admit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Admit a member: the operator issues its member CA certificate from its request.",
            discussion: """
                Check the member id and organisation printed below against what the member told you out of band.

                Example:
                  consort pki admit --operator op --csr north/member.csr \\
                    --roles input,output --out north/member.pem
                """
        )

        @Option(help: "The operator directory (operator.pem, operator.key).")
        var `operator`: String

        @Option(help: "The member's certificate signing request (PEM).")
        var csr: String

        @Option(help: "Comma-separated roles to grant: input, output, compute, auditor.")
        var roles: String

        @Option(help: "Where to write the member CA certificate (PEM).")
        var out: String

        @Option(help: "Validity in days (never beyond the root's).")
        var days: Int = 365

        @Option(
            name: .customLong("dns-domain"), help: "Restrict the DNS names the member may put in its node certificates."
        )
        var dnsDomain: String?

        func run() async throws {
            try Files.refuseToOverwrite(out)
            let root = try CertificateAuthority.load(directory: `operator`)
            let request = try MemberRequest.read(csr)
            let grantedRoles = try MemberRole.parseList(roles)
            let certificate = try OperatorAuthority.admit(
                request, by: root, roles: grantedRoles, days: days, dnsDomain: dnsDomain
            )
            try PEMFiles.write(try PEMFiles.pem([certificate]), to: out)
            let (id, organisation) = try MemberRequest.inspect(request)
            print("admitted consort://\(id) (\(organisation))")
            print("roles:       \(grantedRoles.sorted().map(\.rawValue).joined(separator: ", "))")
            if let dnsDomain { print("DNS domain:  \(dnsDomain)") }
            print("valid until: \(certificate.notValidAfter.formatted(.iso8601))")
            print("member CA certificate: \(out)")
        }
    }
}
