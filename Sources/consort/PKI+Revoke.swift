import ArgumentParser
import ConsortPKI
import Foundation
import X509

extension PKI {
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a certificate issued by this CA; publish it with 'consort pki crl'.",
            discussion: """
                --ca is the operator directory (to revoke a member CA) or a member directory (to revoke its node or
                user certificates).

                Example:
                  consort pki revoke --ca north --cert north/alice.pem --reason key-compromise
                  consort pki crl --ca north --out north/member.crl
                """
        )

        @Option(help: "The issuing CA's directory.")
        var ca: String

        @Option(help: "The certificate to revoke (PEM; the first certificate in the file).")
        var cert: String

        @Option(help: "Reason: \(RevocationReason.allCases.map(\.name).joined(separator: ", ")).")
        var reason: String = "unspecified"

        func run() async throws {
            let authority = try CertificateAuthority.load(directory: ca)
            let certificate = try PEMFiles.readCertificates(cert)[0]
            var registry = try RevocationRegistry.load(directory: ca)
            try registry.revoke(certificate, by: authority, reason: try RevocationReason(name: reason))
            try registry.save(directory: ca)
            print(
                "revoked \(try VerifiedIdentityPrinter.uri(of: certificate)) (serial \(Hex.encode(certificate.serialNumber.bytes)))"
            )
            print("publish it: consort pki crl --ca \(ca) --out FILE")
        }
    }
}
