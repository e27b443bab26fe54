import ArgumentParser
import ConsortPKI
import Foundation
import X509

extension PKI {
    struct InitOperator: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init-operator",
            abstract: "Create the operator's root CA (operator.pem, operator.key).",
            discussion: """
                Prints the root's SHA-256 fingerprint: give it to every member out of band, so they can check the
                operator.pem they receive.

                Example:
                  consort pki init-operator --name "Statistics Consortium" --out op
                """
        )

        @Option(help: "The operator's name (the root's organisation and common name).")
        var name: String

        @Option(help: "Directory to write operator.pem and operator.key (mode 0600) into.")
        var out: String

        @Option(help: "Validity of the root in days.")
        var days: Int = 3650

        func run() async throws {
            try Files.refuseToOverwrite("\(out)/operator.key", "\(out)/operator.pem")
            let (certificate, key) = try OperatorAuthority.createRoot(name: name, days: days)
            try PEMFiles.writePrivateKey(key, to: "\(out)/operator.key")
            try PEMFiles.write(try PEMFiles.pem([certificate]), to: "\(out)/operator.pem")
            try RevocationRegistry().save(directory: out)
            print("operator root: \(out)/operator.pem (key: \(out)/operator.key)")
            print("subject:       \(certificate.subject)")
            print("valid until:   \(certificate.notValidAfter.formatted(.iso8601))")
            print("SHA-256 fingerprint: \(Files.colonFingerprint(VerifiedIdentity.fingerprint(of: certificate)))")
        }
    }
}
