import ArgumentParser
import ConsortPKI
import Crypto
import Foundation
import X509

extension PKI {
    struct Request: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a member's key and certificate signing request (member.key, member.csr).",
            discussion: """
                Send member.csr to the operator; keep member.key. When the operator returns the member CA
                certificate, save it as member.pem next to member.key.

                Example:
                  consort pki request --member nso-north --name "Statistics North" --out north
                """
        )

        @Option(help: "The member id: a DNS label such as nso-north.")
        var member: String

        @Option(help: "The organisation's name.")
        var name: String

        @Option(help: "Directory to write member.key (mode 0600) and member.csr into.")
        var out: String

        func run() async throws {
            let id = try MemberID(member)
            try Files.refuseToOverwrite("\(out)/member.key", "\(out)/member.csr")
            let key = P256.Signing.PrivateKey()
            let csr = try MemberRequest.create(member: id, organisation: name, key: key)
            try PEMFiles.writePrivateKey(key, to: "\(out)/member.key")
            try PEMFiles.write(try MemberRequest.pem(csr), to: "\(out)/member.csr")
            print("request for consort://\(id): \(out)/member.csr (key: \(out)/member.key)")
        }
    }
}
