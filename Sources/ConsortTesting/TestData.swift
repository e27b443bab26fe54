import Foundation

/// Locations of the external test suites (`../shared/testdata` next to the repository) and of the repository itself.
package enum TestData {
    /// The repository root, derived from this file's path.
    package static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `../shared/testdata`, or `CONSORT_TESTDATA` if set. Missing data is an error, never a skip.
    package static func directory() throws -> URL {
        let url: URL
        if let override = ProcessInfo.processInfo.environment["CONSORT_TESTDATA"] {
            url = URL(fileURLWithPath: override)
        } else {
            url = self.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/testdata")
        }
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
            "external test data not found at \(self.path): the shared testdata folder must sit next to the repository "
                + "(or set CONSORT_TESTDATA)"
        }
    }
}
