/// An error from building, reading or verifying Consort certificates, requests and revocation lists.
///
/// Equality compares the code only, so callers and tests can match on the kind of failure while the message carries
/// the specifics for a person (what went wrong and how to fix it).
package struct PKIError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable {
            case invalidMemberID
            case invalidName
            case invalidRole
            case malformedInput
            case fileAccess
            case badSignature
            case outsideNamespace
            case notAuthority
            case untrusted
            case expired
            case notYetValid
            case wrongUsage
            case revoked
            case revocationUnavailable
            case constraintViolation
            case unsupported
        }

        private let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        /// A member id is not a DNS label.
        package static let invalidMemberID = Code(.invalidMemberID)
        /// A user, organisation or DNS name is not acceptable.
        package static let invalidName = Code(.invalidName)
        /// A member role or internal role is unknown.
        package static let invalidRole = Code(.invalidRole)
        /// A PEM, DER or CSR could not be read.
        package static let malformedInput = Code(.malformedInput)
        /// A key, certificate or CRL file could not be read or written.
        package static let fileAccess = Code(.fileAccess)
        /// A signature on a CSR, certificate or CRL does not verify.
        package static let badSignature = Code(.badSignature)
        /// A member CA was asked to issue a name outside its own namespace.
        package static let outsideNamespace = Code(.outsideNamespace)
        /// The certificate used to issue is not a certificate authority of the right kind.
        package static let notAuthority = Code(.notAuthority)
        /// No chain to the trusted operator root could be built.
        package static let untrusted = Code(.untrusted)
        /// A certificate or CRL in the chain is past its validity.
        package static let expired = Code(.expired)
        /// A certificate in the chain is not valid yet.
        package static let notYetValid = Code(.notYetValid)
        /// A certificate is used for something its key usage, extended key usage, kind or role does not allow.
        package static let wrongUsage = Code(.wrongUsage)
        /// A certificate in the chain is on its issuer's CRL.
        package static let revoked = Code(.revoked)
        /// A required CRL is missing, expired or invalid.
        package static let revocationUnavailable = Code(.revocationUnavailable)
        /// Basic constraints, path length or name constraints are violated.
        package static let constraintViolation = Code(.constraintViolation)
        /// An algorithm or feature Consort does not support.
        package static let unsupported = Code(.unsupported)

        package var description: String { self.backing.rawValue }
    }

    package var code: Code
    package var message: String
    package var underlying: (any Error)?
    package var file: String
    package var line: Int

    package init(
        _ code: Code, _ message: String, underlying: (any Error)? = nil, file: String = #fileID, line: Int = #line
    ) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    package var description: String { self.message }

    package var debugDescription: String {
        var text = "PKIError.\(self.code): \(self.message) (\(self.file):\(self.line))"
        if let underlying { text += " underlying: \(String(reflecting: underlying))" }
        return text
    }

    package static func == (lhs: PKIError, rhs: PKIError) -> Bool { lhs.code == rhs.code }
    package func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}
