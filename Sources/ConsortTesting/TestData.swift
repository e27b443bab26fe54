import Foundation

/// The repository, and the external test suites vendored in `Tests/Fixtures` (each with its source, revision and
/// licence in `Tests/Fixtures/README.md`).
package enum TestData {
    /// The repository root, derived from this file's path.
    package static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// `Tests/Fixtures`. Missing data is an error, never a skip.
    package static func directory() throws -> URL {
        let url = self.repositoryRoot.appendingPathComponent("Tests/Fixtures")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MissingTestData(path: url.path)
        }
        return url.standardizedFileURL
    }

    package static func file(_ relativePath: String) throws -> URL {
        let url = try self.directory().appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else { throw MissingTestData(path: url.path) }
        return url
    }

    package struct MissingTestData: Error, CustomStringConvertible {
        package var path: String
        package var description: String {
            "test fixture not found at \(self.path): the repository's Tests/Fixtures is incomplete (see its README)"
        }
    }
}
