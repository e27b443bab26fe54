import Crypto
import Foundation
import SwiftASN1
import X509

/// A member's PKCS#10 request to be admitted: subject `O=<organisation>, CN=<member id>` and the requested name
/// `consort://<member id>` as a subject alternative name in the extension request.
package enum MemberRequest {
    package static func create(
        member: MemberID,
        organisation: String,
        key: P256.Signing.PrivateKey
    ) throws -> CertificateSigningRequest {
        let organisation = try Self.validateOrganisation(organisation)
        let subject = try DistinguishedName {
            OrganizationName(organisation)
            CommonName(member.rawValue)
        }
        let extensions = try Certificate.Extensions {
            SubjectAlternativeNames([.uniformResourceIdentifier(ConsortIdentity.member(member).uri)])
        }
        let attributes = try CertificateSigningRequest.Attributes([.init(ExtensionRequest(extensions: extensions))])
        return try CertificateSigningRequest(
            version: .v1,
            subject: subject,
            privateKey: Certificate.PrivateKey(key),
            attributes: attributes,
            signatureAlgorithm: .ecdsaWithSHA256
        )
    }

    /// Verifies the request's self-signature and returns the member id and organisation it asks for.
    package static func inspect(_ request: CertificateSigningRequest) throws -> (MemberID, String) {
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw PKIError(
                .badSignature, "the CSR's signature does not verify: it was altered or not made with its own key")
        }
        guard let commonName = request.subject.commonName else {
            throw PKIError(.malformedInput, "the CSR subject has no common name (expected the member id)")
        }
        let member = try MemberID(commonName)
        var requested: [String] = []
        for attribute in request.attributes {
            guard let extensionRequest = try? ExtensionRequest(attribute) else { continue }
            for case .uniformResourceIdentifier(let uri) in (try extensionRequest.extensions.subjectAlternativeNames)
                ?? SubjectAlternativeNames()
            {
                requested.append(uri)
            }
        }
        guard requested == [ConsortIdentity.member(member).uri] else {
            throw PKIError(
                .malformedInput,
                "the CSR must request exactly the name \(ConsortIdentity.member(member).uri) (found \(requested))"
            )
        }
        let organisation = try Self.validateOrganisation(request.subject.organisationName ?? member.rawValue)
        return (member, organisation)
    }

    package static func pem(_ request: CertificateSigningRequest) throws -> String {
        try request.serializeAsPEM().pemString + "\n"
    }

    package static func read(_ path: String) throws -> CertificateSigningRequest {
        let text = try PEMFiles.readText(path)
        do {
            return try CertificateSigningRequest(pemEncoded: text)
        } catch {
            throw PKIError(
                .malformedInput, "'\(path)' is not a PEM certificate signing request: \(error)", underlying: error)
        }
    }

    private static func validateOrganisation(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...64).contains(trimmed.count), !trimmed.contains(where: { $0.isNewline }) else {
            throw PKIError(.invalidName, "the organisation name must be 1-64 characters on one line")
        }
        return trimmed
    }
}
