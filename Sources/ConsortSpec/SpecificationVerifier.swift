import ConsortPKI
import Crypto
import Foundation
import SwiftASN1
import X509

/// Verifies a multi-signed CTS: every signature over the exact payload bytes (before anything is parsed), each signer's
/// certificate chain to the operator root with CRLs and the `signer` role, one signature per member, every signer a
/// party of the CTS; then the strict parse and the validation of the payload.
package struct SpecificationVerifier: Sendable {
    package var certificates: ConsortVerifier
    /// The member directory's roles, when known, for `CTSValidator`.
    package var members: [MemberID: Set<MemberRole>]?
    /// The engines this build runs, when the CTS is to run here.
    package var engines: (any EngineSupport)?

    package init(
        certificates: ConsortVerifier, members: [MemberID: Set<MemberRole>]? = nil, engines: (any EngineSupport)? = nil
    ) {
        self.certificates = certificates
        self.members = members
        self.engines = engines
    }

    /// The outcome for one signature.
    package struct SignatureResult: Sendable {
        package var index: Int
        package var member: MemberID?
        package var subject: String?
        package var signedAt: Date?
        /// The verified signer, if the signature is valid.
        package var signer: VerifiedIdentity?
        package var problem: SpecError?

        package var isValid: Bool { self.problem == nil && self.signer != nil }
    }

    /// Everything verification found.
    package struct Report: Sendable {
        package var taskID: String
        package var signatures: [SignatureResult]
        /// The CTS, if the payload passed the strict parse and shape checks.
        package var specification: ComputationTaskSpecification?
        /// A problem with the document as a whole (altered payload, malformed or invalid CTS).
        package var documentProblem: SpecError?
        /// Validation findings (errors and warnings).
        package var diagnostics: [Diagnostic]
        /// Required signers (input, output and computing parties) without a valid signature.
        package var missingSigners: [MemberID]

        package var validSigners: [MemberID] { self.signatures.filter(\.isValid).compactMap(\.member) }
        package var isComplete: Bool { self.missingSigners.isEmpty && self.specification != nil }

        /// The first problem, in the order a person should fix them.
        package var firstProblem: SpecError? {
            if let documentProblem { return documentProblem }
            if let problem = self.signatures.compactMap(\.problem).first { return problem }
            if let error = self.diagnostics.first(where: { $0.severity == .error }) {
                return SpecError(.invalidDocument, "the CTS is not valid: \(error)", diagnostics: self.diagnostics)
            }
            return nil
        }

        /// Throws the first problem; with `requireComplete`, also a missing signature.
        package func requireValid(complete requireComplete: Bool) throws {
            if let problem = self.firstProblem { throw problem }
            if requireComplete && !self.missingSigners.isEmpty {
                throw SpecError(
                    .missingSignature,
                    "the CTS is not in force: missing signatures of \(self.missingSigners.map(\.rawValue).joined(separator: ", "))"
                )
            }
        }
    }

    package func verify(_ jws: MultiSignatureJWS, at time: Date = Date()) async -> Report {
        let taskID = jws.taskID
        var results: [SignatureResult] = []
        for (index, signature) in jws.signatures.enumerated() {
            results.append(await self.check(signature, index: index, in: jws, taskID: taskID, at: time))
        }

        // A signature over another payload: if every signature disagrees with the payload, the payload was altered;
        // if only some do, those signatures were moved here from another document.
        let wrongTask = results.filter { $0.problem?.code == .signatureForOtherDocument }
        var documentProblem: SpecError? = nil
        if !results.isEmpty && wrongTask.count == results.count {
            documentProblem = SpecError(
                .payloadAltered,
                "the payload was altered after signing: its SHA-256 is \(taskID), but the signatures were made over a different payload"
            )
        }

        // One signature per member: later ones are refused.
        var seen = Set<MemberID>()
        for index in results.indices where results[index].isValid {
            let member = results[index].member!
            if !seen.insert(member).inserted {
                results[index].problem = SpecError(
                    .duplicateSigner,
                    "member \(member) has already signed this CTS (signature \(index + 1) is a second one)")
                results[index].signer = nil
            }
        }

        var specification: ComputationTaskSpecification? = nil
        var diagnostics: [Diagnostic] = []
        if documentProblem == nil {
            do {
                let value = try StrictJSONReader().parse(jws.payload)
                let (cts, shape) = CTSReader.read(value)
                diagnostics = shape
                if let cts {
                    specification = cts
                    diagnostics += CTSValidator.validate(cts, now: time, members: self.members, engines: self.engines)
                } else {
                    documentProblem = SpecError(
                        .invalidDocument, "the signed payload is not a valid CTS", diagnostics: shape)
                }
            } catch let error as SpecError {
                documentProblem = SpecError(error.code, "the signed payload is not acceptable JSON: \(error.message)")
            } catch {
                documentProblem = SpecError(.malformedJSON, "the signed payload cannot be read: \(error)")
            }
        }

        var missing: [MemberID] = []
        if let specification {
            let parties = specification.parties.permittedSigners
            for index in results.indices where results[index].isValid {
                let member = results[index].member!
                if !parties.contains(member) {
                    results[index].problem = SpecError(
                        .signerNotParty, "member \(member) signed, but it is not a party of this CTS")
                    results[index].signer = nil
                }
            }
            let valid = Set(results.filter(\.isValid).compactMap(\.member))
            missing = specification.parties.requiredSigners.filter { !valid.contains($0) }
        }
        return Report(
            taskID: taskID, signatures: results, specification: specification, documentProblem: documentProblem,
            diagnostics: diagnostics, missingSigners: missing)
    }

    /// Checks the single signature of a small signed statement (e.g. a halt): header, ES256 over the exact bytes, and
    /// the signer's certificate for `signer` usage under the root.
    package func verifyStatement(_ jws: MultiSignatureJWS, at time: Date = Date()) async -> SignatureResult {
        guard jws.signatures.count == 1 else {
            var result = SignatureResult(index: 0)
            result.problem = SpecError(.invalidDocument, "a signed statement carries exactly one signature")
            return result
        }
        return await self.check(jws.signatures[0], index: 0, in: jws, taskID: jws.taskID, at: time)
    }

    private func check(
        _ signature: MultiSignatureJWS.Signature,
        index: Int,
        in jws: MultiSignatureJWS,
        taskID: String,
        at time: Date
    ) async -> SignatureResult {
        var result = SignatureResult(index: index)
        let number = index + 1
        func fail(_ code: SpecError.Code, _ message: String) -> SignatureResult {
            result.problem = SpecError(code, "signature \(number)\(result.member.map { " (\($0))" } ?? ""): \(message)")
            return result
        }
        let header: JSONObject
        do {
            guard
                let object = try StrictJSONReader(maximumBytes: 65_536, maximumDepth: 4).parse(signature.protectedBytes)
                    .objectValue
            else {
                return fail(.invalidDocument, "the protected header is not a JSON object")
            }
            header = object
        } catch {
            return fail(.invalidDocument, "the protected header is not acceptable JSON: \(error)")
        }
        let allowed: Set<String> = [
            "alg", "x5c", MultiSignatureJWS.headerMember, MultiSignatureJWS.headerTask,
            MultiSignatureJWS.headerSignedAt,
        ]
        if let unknown = header.keys.first(where: { !allowed.contains($0) }) {
            return fail(.invalidDocument, "the protected header has the unsupported parameter \"\(unknown)\"")
        }
        if let memberText = header[MultiSignatureJWS.headerMember]?.stringValue {
            result.member = try? MemberID(memberText)
        }
        guard let alg = header["alg"]?.stringValue else {
            return fail(.unsupportedAlgorithm, "the protected header has no \"alg\"")
        }
        guard alg == "ES256" else {
            return fail(
                .unsupportedAlgorithm, "uses alg \"\(alg)\"; Consort accepts only ES256 (ECDSA P-256 with SHA-256)")
        }
        guard let member = result.member else {
            return fail(.invalidDocument, "the protected header has no valid \"\(MultiSignatureJWS.headerMember)\"")
        }
        guard let signedTask = header[MultiSignatureJWS.headerTask]?.stringValue else {
            return fail(.invalidDocument, "the protected header has no \"\(MultiSignatureJWS.headerTask)\"")
        }
        result.signedAt = header[MultiSignatureJWS.headerSignedAt]?.stringValue.flatMap(DocumentReader.parseTimestamp)
        guard signedTask == taskID else {
            return fail(
                .signatureForOtherDocument,
                "was made for the CTS with task id \(signedTask.prefix(16))…, not for this one (\(taskID.prefix(16))…)")
        }
        guard let x5c = header["x5c"]?.arrayValue, (1...3).contains(x5c.count) else {
            return fail(
                .invalidDocument, "the protected header needs \"x5c\" with the signer certificate and its member CA")
        }
        var chain: [Certificate] = []
        for element in x5c {
            guard let text = element.stringValue, let der = Base64URL.decodeStandard(text),
                let certificate = try? Certificate(derEncoded: der)
            else { return fail(.invalidDocument, "an \"x5c\" entry is not a base64 DER certificate") }
            chain.append(certificate)
        }
        result.subject = chain[0].subject.description
        guard let key = P256.Signing.PublicKey(chain[0].publicKey),
            ES256.isValid(p1363: signature.signature, for: jws.signingInput(signature), publicKey: key)
        else {
            return fail(.badSignature, "the ES256 signature does not verify: the signature or its header was altered")
        }
        let signer: VerifiedIdentity
        do {
            signer = try await self.certificates.verify(chain: chain, usage: .signer, at: time)
        } catch let error as PKIError {
            let code: SpecError.Code = error.code == .wrongUsage ? .signerNotAuthorised : .untrustedSigner
            return fail(code, "the signer's certificate is not acceptable: \(error.message)")
        } catch {
            return fail(.untrustedSigner, "the signer's certificate is not acceptable: \(error)")
        }
        guard signer.memberID == member else {
            return fail(
                .signerNotAuthorised,
                "the header names member \(member), but the certificate belongs to \(signer.memberID.map(\.rawValue) ?? "no member")"
            )
        }
        result.signer = signer
        return result
    }
}
