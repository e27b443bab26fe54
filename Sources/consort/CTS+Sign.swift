import ArgumentParser
import ConsortPKI
import ConsortQuery
import ConsortSpec
import Foundation

extension CTS {
    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a CTS as a member's signer, creating or extending its JWS.",
            discussion: """
                FILE is a plain CTS (a new JWS is created over its exact bytes) or an already signed one (the signature
                is appended; the payload is never changed). The CTS must be valid and the signer's member a party.

                Examples:
                  consort cts sign task.json --identity north/alice --out task.signed.json
                  consort cts sign task.signed.json --key south/bob.key --cert south/bob.pem --out task.signed.json
                """
        )

        @Argument(help: "The CTS to sign (plain or signed).")
        var file: String

        @OptionGroup var identity: IdentityOptions

        @Option(help: "Where to write the signed CTS (may be FILE itself).")
        var out: String

        func run() async throws {
            let signer = try identity.load()
            let document = try SpecificationDocument.read(file)
            let cts = try document.validSpecification(engines: EngineRegistry.shared)
            let uris = try VerifiedIdentityPrinter.uri(of: signer.certificate)
            let identityURI = try ConsortIdentity(uri: uris)
            guard case .user(let member, _) = identityURI else {
                throw ValidationError("\(uris) is not a user certificate: sign with a user that has the 'signer' role")
            }
            guard cts.parties.permittedSigners.contains(member) else {
                throw ValidationError("member \(member) is not a party of CTS '\(cts.id)', so it cannot sign it")
            }
            var jws = document.jws ?? MultiSignatureJWS(payload: document.payload)
            for existing in jws.signatures {
                let header = try? StrictJSONReader().parse(existing.protectedBytes)
                if header?[MultiSignatureJWS.headerMember]?.stringValue == member.rawValue {
                    throw ValidationError("member \(member) has already signed this CTS")
                }
            }
            try jws.sign(as: signer, member: member)
            try PEMFiles.write(String(decoding: jws.serialized(), as: UTF8.self), to: out)
            print(
                "signed CTS '\(cts.id)' (task id \(jws.taskID)) as \(uris): \(jws.signatures.count) signature(s) -> \(out)"
            )
            let signed = Set(
                jws.signatures.compactMap {
                    (try? StrictJSONReader().parse($0.protectedBytes))?[MultiSignatureJWS.headerMember]?.stringValue
                })
            let missing = cts.parties.requiredSigners.filter { !signed.contains($0.rawValue) }
            print(
                missing.isEmpty
                    ? "every required party has signed"
                    : "still to sign: \(missing.map(\.rawValue).joined(separator: ", "))")
        }
    }
}
