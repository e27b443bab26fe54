import ArgumentParser
import ConsortPKI
import Foundation

/// File helpers shared by the commands.
enum Files {
    /// Refuses to replace existing files: keys and certificates are never silently overwritten.
    static func refuseToOverwrite(_ paths: String...) throws {
        for path in paths where FileManager.default.fileExists(atPath: path) {
            throw ValidationError("'\(path)' already exists: move it away or choose another --out directory")
        }
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
