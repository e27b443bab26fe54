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
                Each party after the first signs the signed file: --out never replaces a file that holds signatures
                (or anything else) unless it is FILE itself.

                Examples:
                  consort cts sign task.json --identity north/alice --out task.signed.json
                  consort cts sign task.signed.json --identity south/bob \\
                    --out task.signed.json
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
            if jws.claimedMembers.contains(member.rawValue) {
                throw ValidationError("member \(member) has already signed this CTS")
            }
            try CTS.refuseToDropSignatures(in: out, signing: file, payload: document.payload)
            try jws.sign(as: signer, member: member)
            try PEMFiles.write(String(decoding: jws.serialized(), as: UTF8.self), to: out)
            print(
                "signed CTS '\(cts.id)' (task id \(jws.taskID)) as \(uris): \(jws.signatures.count) signature(s) -> \(out)"
            )
            let signed = Set(jws.claimedMembers)
            let missing = cts.parties.requiredSigners.filter { !signed.contains($0.rawValue) }
            if !missing.isEmpty { print("the next party signs \(out): consort cts sign \(out) … --out \(out)") }
            print(
                missing.isEmpty
                    ? "every required party has signed"
                    : "still to sign: \(missing.map(\.rawValue).joined(separator: ", "))")
        }
    }

    /// `out` may be written only if it is FILE itself or does not exist: a signed CTS there would lose its signatures
    /// (each party signing the plain CTS in turn into the same file kept only the last signature).
    static func refuseToDropSignatures(in out: String, signing file: String, payload: [UInt8]) throws {
        let resolved = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
        guard resolved(out) != resolved(file), FileManager.default.fileExists(atPath: out) else { return }
        if let existing = try? SpecificationDocument.read(out), let jws = existing.jws, existing.payload == payload {
            throw CommandFailure(
                "'\(out)' already holds this CTS signed by \(jws.claimedMembers.joined(separator: ", ")): signing '\(file)' into it would drop those signatures. Sign that file instead: consort cts sign \(out) … --out \(out)"
            )
        }
        throw CommandFailure(
            "'\(out)' already exists and is not this CTS signed: choose another --out, or move it away")
    }
}
