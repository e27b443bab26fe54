import Crypto
import Foundation
import SwiftASN1
import X509

/// Reading and writing the PEM files Consort keeps on disk: certificate chains, CSRs, CRLs and private keys.
package enum PEMFiles {
    /// Reads a file as text, with an error that names the path.
    package static func readText(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PKIError(.fileAccess, "cannot read '\(path)': \(Self.reason(error))", underlying: error)
        }
    }

    /// Every `CERTIFICATE` block of a PEM file, in file order (leaf first for a chain).
    package static func readCertificates(_ path: String) throws -> [Certificate] {
        let certificates = try Self.certificates(fromPEM: Self.readText(path), source: path)
        guard !certificates.isEmpty else {
            throw PKIError(.malformedInput, "'\(path)' contains no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        return certificates
    }

    /// Parses every `CERTIFICATE` block of PEM text.
    package static func certificates(fromPEM text: String, source: String = "input") throws -> [Certificate] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw PKIError(.malformedInput, "\(source) is not valid PEM: \(error)", underlying: error)
        }
        return try documents.filter { $0.discriminator == "CERTIFICATE" }.enumerated().map { index, document in
            do {
                return try Certificate(pemDocument: document)
            } catch {
                throw PKIError(
                    .malformedInput,
                    "certificate #\(index + 1) in \(source) is not a valid X.509 certificate: \(error)",
                    underlying: error
                )
            }
        }
    }

    /// PEM text of certificates, each block ending in a newline.
    package static func pem(_ certificates: [Certificate]) throws -> String {
        try certificates.map { try $0.serializeAsPEM().pemString + "\n" }.joined()
    }

    /// Reads a P-256 private key (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`).
    package static func readPrivateKey(_ path: String) throws -> P256.Signing.PrivateKey {
        let text = try Self.readText(path)
        do {
            return try P256.Signing.PrivateKey(pemRepresentation: text)
        } catch {
            throw PKIError(.malformedInput, "'\(path)' is not a PEM-encoded ECDSA P-256 private key", underlying: error)
        }
    }

    /// Writes a private key as PKCS#8 PEM, readable by its owner only (mode 0600), atomically.
    package static func writePrivateKey(_ key: P256.Signing.PrivateKey, to path: String) throws {
        try Self.write(key.pemRepresentation + "\n", to: path, mode: 0o600)
    }

    /// Writes text atomically (temporary file + rename) with the given permissions, creating parent directories.
    package static func write(_ text: String, to path: String, mode: Int = 0o644) throws {
        let url = URL(fileURLWithPath: path)
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = url.deletingLastPathComponent()
                .appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
            // Create with the final permissions so a key is never readable by others, not even briefly.
            guard
                manager.createFile(
                    atPath: temporary.path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
            else {
                throw CocoaError(.fileWriteUnknown)
            }
            if rename(temporary.path, url.path) != 0 {
                let code = errno
                try? manager.removeItem(at: temporary)
                throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
            }
        } catch {
            throw PKIError(.fileAccess, "cannot write '\(path)': \(Self.reason(error))", underlying: error)
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let cocoa = error as? CocoaError, let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? NSError {
            return underlying.localizedDescription
        }
        return (error as NSError).localizedDescription
    }
}
