import Foundation

/// Files a node must not lose or see half-written: written to a temporary file beside their place, synced, moved into
/// place and the directory synced, so that after a crash the file is either there whole or not at all.
enum DurableFile {
    static func write(_ bytes: [UInt8], to path: String) throws {
        let writer = try Writer(directory: URL(fileURLWithPath: path).deletingLastPathComponent().path)
        do {
            try bytes.withUnsafeBytes { try writer.append($0) }
            try writer.commit(to: path)
        } catch {
            writer.discard()
            throw error
        }
    }

    /// A file written piece by piece (an upload streamed from the network): nothing of it is at its place until
    /// `commit`, and `discard` leaves nothing behind.
    final class Writer {
        let directory: String
        let temporary: String
        private var descriptor: Int32
        /// Pieces are gathered to this size before a write, so that small network reads cost few system calls.
        private let pending: UnsafeMutableRawBufferPointer
        private var pendingCount = 0
        private static let pieceSize = 1 << 20

        init(directory: String) throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            self.directory = directory
            self.temporary = "\(directory)/.\(UUID().uuidString).tmp"
            self.descriptor = open(self.temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard self.descriptor >= 0 else {
                throw NodeError(
                    .internalFailure, "cannot create '\(self.temporary)': \(String(cString: strerror(errno)))")
            }
            self.pending = .allocate(byteCount: Self.pieceSize, alignment: 16)
        }

        func append(_ bytes: UnsafeRawBufferPointer) throws {
            var rest = bytes
            while !rest.isEmpty {
                let count = min(rest.count, Self.pieceSize - self.pendingCount)
                UnsafeMutableRawBufferPointer(rebasing: self.pending[self.pendingCount..<self.pendingCount + count])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest.prefix(count)))
                self.pendingCount += count
                rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(count))
                if self.pendingCount == Self.pieceSize { try self.flush() }
            }
        }

        private func flush() throws {
            var offset = 0
            while offset < self.pendingCount {
                let written = Glibc.write(
                    self.descriptor, self.pending.baseAddress! + offset, self.pendingCount - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw NodeError(
                        .internalFailure, "cannot write '\(self.temporary)': \(String(cString: strerror(errno)))")
                }
                offset += written
            }
            self.pendingCount = 0
        }

        /// Syncs the file and moves it to `path` (replacing what is there), then syncs the directory.
        func commit(to path: String) throws {
            try self.flush()
            guard fsync(self.descriptor) == 0 else {
                throw NodeError(
                    .internalFailure, "cannot sync '\(self.temporary)': \(String(cString: strerror(errno)))")
            }
            close(self.descriptor)
            self.descriptor = -1
            guard rename(self.temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                throw NodeError(.internalFailure, "cannot move '\(self.temporary)' to '\(path)': \(reason)")
            }
            let directory = open(self.directory, O_RDONLY | O_CLOEXEC)
            guard directory >= 0 else {
                throw NodeError(.internalFailure, "cannot open '\(self.directory)' to sync it")
            }
            defer { close(directory) }
            guard fsync(directory) == 0 else {
                throw NodeError(
                    .internalFailure, "cannot sync '\(self.directory)': \(String(cString: strerror(errno)))")
            }
        }

        /// Closes and removes the temporary file (after a failure, or when the bytes are not wanted).
        func discard() {
            if self.descriptor >= 0 { close(self.descriptor) }
            self.descriptor = -1
            unlink(self.temporary)
        }

        deinit {
            if self.descriptor >= 0 { close(self.descriptor) }
            self.pending.deallocate()
        }
    }
}
