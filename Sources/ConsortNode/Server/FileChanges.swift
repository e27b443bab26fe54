import Crypto
import Foundation
import Synchronization

/// Whether files changed since they were last looked at, by the SHA-256 of their paths and bytes: the directory and
/// CRL refreshers parse and check their files again only when they changed.
final class FileChanges: Sendable {
    private let paths: [String]
    private let lastRead: Mutex<[UInt8]>

    init(_ paths: [String]) {
        self.paths = paths
        self.lastRead = Mutex(Self.digest(of: paths))
    }

    /// True once per change (a file that cannot be read counts as empty).
    func changed() -> Bool {
        let digest = Self.digest(of: self.paths)
        return self.lastRead.withLock { last in
            guard digest != last else { return false }
            last = digest
            return true
        }
    }

    private static func digest(of paths: [String]) -> [UInt8] {
        var hash = SHA256()
        for path in paths {
            hash.update(data: Data(path.utf8))
            hash.update(data: FileManager.default.contents(atPath: path) ?? Data())
        }
        return Array(hash.finalize())
    }
}
