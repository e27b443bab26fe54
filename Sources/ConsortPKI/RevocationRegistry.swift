import Foundation
import X509

/// The list of certificates a CA has revoked, kept next to its key (`revocations.json`), from which CRLs are issued.
///
/// Every change is written atomically; the CRL number only ever increases, so relying parties can tell a newer CRL.
package struct RevocationRegistry: Codable, Sendable {
    package struct Revocation: Codable, Hashable, Sendable {
        /// Serial number as lowercase hex of its DER content bytes.
        package var serial: String
        package var subject: String
        package var revokedAt: Date
        package var reason: RevocationReason
    }

    package var revocations: [Revocation] = []
    package var lastCRLNumber: UInt64 = 0

    package init() {}

    package static func path(in directory: String) -> String { "\(directory)/revocations.json" }

    package static func load(directory: String) throws -> RevocationRegistry {
        let path = Self.path(in: directory)
        guard FileManager.default.fileExists(atPath: path) else { return RevocationRegistry() }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try Self.decoder.decode(RevocationRegistry.self, from: data)
        } catch {
            throw PKIError(
                .malformedInput, "'\(path)' is not a readable revocation registry: \(error)", underlying: error)
        }
    }

    package func save(directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(self)
        try PEMFiles.write(String(decoding: data, as: UTF8.self) + "\n", to: Self.path(in: directory))
    }

    /// Records the revocation of `certificate`, which `authority` must have issued. Revoking twice is an error.
    package mutating func revoke(
        _ certificate: Certificate,
        by authority: CertificateAuthority,
        reason: RevocationReason,
        at time: Date = Date()
    ) throws {
        guard authority.issued(certificate) else {
            throw PKIError(
                .notAuthority,
                "\(certificate.displayName) was not issued by \(authority.certificate.displayName): revoke it with the CA that issued it"
            )
        }
        let serial = Self.hex(certificate.serialNumber)
        guard !self.revocations.contains(where: { $0.serial == serial }) else {
            throw PKIError(.revoked, "\(certificate.displayName) (serial \(serial)) is already revoked")
        }
        self.revocations.append(
            Revocation(serial: serial, subject: certificate.subject.description, revokedAt: time, reason: reason)
        )
    }

    /// The revocation of `certificate` recorded here, if any (by serial number; the registry holds one CA's).
    package func revocation(of certificate: Certificate) -> Revocation? {
        let serial = Self.hex(certificate.serialNumber)
        return self.revocations.first { $0.serial == serial }
    }

    /// Issues the next CRL, valid for `days` from `now`, and advances the CRL number.
    package mutating func issueCRL(
        by authority: CertificateAuthority,
        days: Int = 7,
        now: Date = Date()
    ) throws -> CertificateRevocationList {
        guard (1...365).contains(days) else {
            throw PKIError(.invalidName, "a CRL must be valid for 1 to 365 days, not \(days)")
        }
        let entries = try self.revocations.map { revocation -> CertificateRevocationList.Entry in
            guard let bytes = Self.bytes(hex: revocation.serial) else {
                throw PKIError(.malformedInput, "revocation registry has a bad serial '\(revocation.serial)'")
            }
            return .init(
                serialNumber: Certificate.SerialNumber(bytes: bytes), revocationDate: revocation.revokedAt,
                reason: revocation.reason)
        }
        self.lastCRLNumber += 1
        return try CertificateRevocationList.issue(
            issuer: authority.certificate,
            key: authority.privateKey,
            entries: entries,
            crlNumber: self.lastCRLNumber,
            thisUpdate: now.addingTimeInterval(-60),
            nextUpdate: now.addingTimeInterval(TimeInterval(days) * 86_400)
        )
    }

    static func hex(_ serial: Certificate.SerialNumber) -> String { Hex.encode(serial.bytes) }

    static func bytes(hex: String) -> [UInt8]? {
        guard let bytes = Hex.decode(hex), !bytes.isEmpty else { return nil }
        return bytes
    }

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
