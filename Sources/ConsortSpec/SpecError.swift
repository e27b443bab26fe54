/// An error about a specification document: reading it strictly, its signatures, or its validity.
///
/// Equality compares the code only. `description` never includes the document body.
package struct SpecError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable {
            case malformedJSON
            case duplicateKey
            case numberOutOfRange
            case tooLarge
            case tooDeep
            case invalidDocument
            case unsupportedAlgorithm
            case badSignature
            case payloadAltered
            case signatureForOtherDocument
            case untrustedSigner
            case signerNotAuthorised
            case signerNotParty
            case duplicateSigner
            case missingSignature
            case illegalTransition
            case fileAccess
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// The bytes are not JSON (syntax, encoding, trailing commas, leading zeros, lone surrogates...).
        package static let malformedJSON = Code(.malformedJSON)
        /// An object repeats a member name.
        package static let duplicateKey = Code(.duplicateKey)
        /// A number is not finite or outside what Consort reads exactly (integers beyond ±(2^53−1)).
        package static let numberOutOfRange = Code(.numberOutOfRange)
        /// The document exceeds the size limit.
        package static let tooLarge = Code(.tooLarge)
        /// The document nests deeper than the limit.
        package static let tooDeep = Code(.tooDeep)
        /// The JSON is well-formed but not a valid document of its kind (see the diagnostics).
        package static let invalidDocument = Code(.invalidDocument)
        /// A JWS signature uses an algorithm other than ES256.
        package static let unsupportedAlgorithm = Code(.unsupportedAlgorithm)
        /// A JWS signature does not verify.
        package static let badSignature = Code(.badSignature)
        /// The payload is not the one the signers signed.
        package static let payloadAltered = Code(.payloadAltered)
        /// A signature was made for a different document and moved into this one.
        package static let signatureForOtherDocument = Code(.signatureForOtherDocument)
        /// The signer's certificate does not verify (chain, validity, revocation).
        package static let untrustedSigner = Code(.untrustedSigner)
        /// The signer's certificate is valid but not for signing (no `signer` role, wrong kind).
        package static let signerNotAuthorised = Code(.signerNotAuthorised)
        /// The signer's member is not a party of the CTS.
        package static let signerNotParty = Code(.signerNotParty)
        /// A member signed more than once.
        package static let duplicateSigner = Code(.duplicateSigner)
        /// A party that must sign has not.
        package static let missingSignature = Code(.missingSignature)
        /// A lifecycle transition that is not allowed.
        package static let illegalTransition = Code(.illegalTransition)
        /// A file could not be read or written.
        package static let fileAccess = Code(.fileAccess)

        package var description: String { self.backing.rawValue }
    }

    package var code: Code
    package var message: String
    /// Problems found while validating, each with its location.
    package var diagnostics: [Diagnostic]
    package var underlying: (any Error)?
    package var file: String
    package var line: Int

    package init(
        _ code: Code,
        _ message: String,
        diagnostics: [Diagnostic] = [],
        underlying: (any Error)? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.diagnostics = diagnostics
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    package var description: String {
        guard !self.diagnostics.isEmpty else { return self.message }
        return ([self.message] + self.diagnostics.map { "  \($0)" }).joined(separator: "\n")
    }

    package var debugDescription: String {
        var text = "SpecError.\(self.code): \(self.description) (\(self.file):\(self.line))"
        if let underlying { text += " underlying: \(String(reflecting: underlying))" }
        return text
    }

    package static func == (lhs: SpecError, rhs: SpecError) -> Bool { lhs.code == rhs.code }
    package func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}

/// One problem found in a document, located by a JSON pointer (RFC 6901) and, where known, a byte offset.
package struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    package enum Severity: String, Hashable, Sendable {
        case error
        case warning
    }

    package var severity: Severity
    package var pointer: String
    package var message: String

    package init(_ severity: Severity = .error, at pointer: String, _ message: String) {
        self.severity = severity
        self.pointer = pointer
        self.message = message
    }

    package var description: String {
        "\(self.severity.rawValue): \(self.pointer.isEmpty ? "(document)" : self.pointer): \(self.message)"
    }
}
