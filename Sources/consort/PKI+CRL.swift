import ArgumentParser
import ConsortPKI
import Foundation
import X509

extension PKI {
    struct CRL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "crl",
            abstract: "Issue a fresh certificate revocation list for this CA.",
            discussion: """
                Issue a new CRL before the previous one's nextUpdate: an expired CRL makes every verification that
                depends on it fail.

                Example:
                  consort pki crl --ca op --out op/operator.crl
                """
        )

        @Option(help: "The issuing CA's directory (operator or member).")
        var ca: String

        @Option(help: "Where to write the CRL (PEM).")
        var out: String

        @Option(help: "Days until nextUpdate.")
        var days: Int = 7

        func run() async throws {
            let authority = try CertificateAuthority.load(directory: ca)
            var registry = try RevocationRegistry.load(directory: ca)
            let crl = try registry.issueCRL(by: authority, days: days)
            try PEMFiles.write(crl.pemString, to: out)
            try registry.save(directory: ca)
            print(
                "CRL #\(registry.lastCRLNumber) of \(authority.certificate.subject): \(crl.entries.count) revoked, "
                    + "next update \(crl.nextUpdate!.formatted(.iso8601)) -> \(out)")
        }
    }
}
