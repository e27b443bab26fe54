import ArgumentParser
import ConsortPKI
import Foundation
import X509

extension PKI {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a Consort certificate chain and print who it identifies.",
            discussion: """
                Checks the chain to the operator root, validity, basic constraints, path length, name constraints,
                key usage, extended key usage, the CRLs given, and the Consort identity rules. Exit status 0 if valid.

                Examples:
                  consort pki verify --root op/operator.pem --cert cp-a/node.pem \\
                    --usage server
                  consort pki verify --root op/operator.pem --cert north/alice.pem \\
                    --usage signer --crl op/operator.crl --crl north/member.crl \\
                    --require-crl
                """
        )

        @Option(help: "The operator root certificate (PEM).")
        var root: String

        @Option(help: "The certificate chain to verify (PEM, leaf first).")
        var cert: String

        @Option(help: "A CRL to check against (repeatable).")
        var crl: [String] = []

        @Flag(
            name: .customLong("require-crl"),
            help: "Fail unless every issuer in the chain has a current CRL among --crl.")
        var requireCRL = false

        @Option(help: "Verify as of this ISO 8601 time instead of now.")
        var at: String?

        @Option(help: "server, client, signer or any.")
        var usage: ConsortVerifier.Usage = .any

        func run() async throws {
            let rootCertificate = try PEMFiles.readCertificates(root)[0]
            let chain = try PEMFiles.readCertificates(cert)
            let crls = try crl.map(CertificateRevocationList.read)
            let time = try at.map(Files.parseTime) ?? Date()
            let verifier = ConsortVerifier(root: rootCertificate, crls: crls, requireRevocationInformation: requireCRL)
            do {
                let identity = try await verifier.verify(chain: chain, usage: usage, at: time)
                print("valid (\(usage.rawValue))")
                VerifiedIdentityPrinter.lines(identity).forEach { print($0) }
            } catch let error as PKIError {
                print("invalid: \(error.message)")
                throw ExitCode(1)
            }
        }
    }
}

extension ConsortVerifier.Usage: ExpressibleByArgument {}
