import Foundation

/// Writes a file so that after a crash it is either wholly there or not at all: a temporary file in the same
/// directory, fsync, rename(2) over the name, fsync of the directory (so the rename itself survives power loss).
enum DurableFile {
    static func write(_ bytes: [UInt8], to path: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = "\(directory)/.\(UUID().uuidString).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw NodeError(.internalFailure, "cannot create '\(temporary)'")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            try handle.write(contentsOf: bytes)
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw NodeError(.internalFailure, "cannot write '\(path)': \(error)", underlying: error)
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw NodeError(.internalFailure, "cannot move '\(temporary)' to '\(path)': \(reason)")
        }
        let descriptor = open(directory, O_RDONLY)
        guard descriptor >= 0 else { throw NodeError(.internalFailure, "cannot open '\(directory)' to sync it") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw NodeError(.internalFailure, "cannot sync '\(directory)': \(String(cString: strerror(errno)))")
        }
    }
}
