import ArgumentParser
import ConsortAudit
import ConsortPKI
import Foundation

/// File helpers shared by the commands.
enum Files {
    /// Refuses to replace existing files: keys and certificates are never silently overwritten.
    /// The audit store a command reads (checkpoint, export, verify): it must exist — opening an SQLite path that
    /// does not would create an empty store and sign or verify nothing.
    static func existingStore(_ text: String) throws -> AuditStores.Address {
        let address = try AuditStores.Address(text)
        if case .sqlite(let path) = address, !FileManager.default.fileExists(atPath: path) {
            throw CommandFailure(
                "there is no audit store at '\(path)': a node keeps its log where its configuration's \"store\" says (by default DATA/audit.db, DATA being 'data' next to the configuration)"
            )
        }
        return address
    }

    static func refuseToOverwrite(_ paths: String..., hint: String? = nil) throws {
        for path in paths where FileManager.default.fileExists(atPath: path) {
            throw ValidationError(
                "'\(path)' already exists: move it away or choose another --out\(hint.map { ", \($0)" } ?? "")")
        }
    }

    /// Makes `path` readable and writable by its owner only (a file that may hold a password).
    static func restrictToOwner(_ path: String) throws {
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    /// `AB:CD:...` as people compare fingerprints.
    static func colonFingerprint(_ hex: String) -> String {
        var pairs: [String] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            pairs.append(hex[index..<next].uppercased())
            index = next
        }
        return pairs.joined(separator: ":")
    }

    static func parseTime(_ text: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [
            [.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime], [.withFullDate],
        ] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        throw ValidationError("'\(text)' is not an ISO 8601 time: use e.g. 2026-12-01T00:00:00Z or 2026-12-01")
    }
}
