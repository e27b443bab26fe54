import ConsortMPC
import ConsortPKI
import Crypto
import Foundation
import NIOCore

/// An upload's body on its way to disk: written to a temporary file beside the table's stored shares as it arrives,
/// hashed and checked on the way (its header as soon as it is in), never held whole in memory.
struct IncomingUpload {
    /// The body is longer than its admission allows.
    struct TooLarge: Error {}

    /// A complete body, checked and synced, not yet in its place.
    struct Received {
        var rows: Int
        var sha256: String
        var bytes: Int
        fileprivate let file: DurableFile.Writer

        /// Moves the shares to `path`, durably.
        func commit(to path: String) throws { try self.file.commit(to: path) }
        func discard() { self.file.discard() }
    }

    private let file: DurableFile.Writer
    private var check: ShareEnvelopeStream
    private var hash = SHA256()
    private var bytes = 0
    private let limit: Int

    init(directory: String, check: ShareEnvelopeStream, limit: Int) throws {
        self.file = try DurableFile.Writer(directory: directory)
        self.check = check
        self.limit = limit
    }

    /// Reads `body` to its end (or to the first error, which leaves no file behind).
    static func receive<Body: AsyncSequence>(
        _ body: Body, directory: String, check: ShareEnvelopeStream, limit: Int
    ) async throws -> Received where Body.Element == ByteBuffer {
        var incoming = try IncomingUpload(directory: directory, check: check, limit: limit)
        do {
            for try await buffer in body { try buffer.withUnsafeReadableBytes { try incoming.append($0) } }
            return try incoming.finish()
        } catch {
            incoming.file.discard()
            throw error
        }
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
        self.bytes += bytes.count
        guard self.bytes <= self.limit else { throw TooLarge() }
        try self.check.consume(bytes)
        self.hash.update(bufferPointer: bytes)
        try self.file.append(bytes)
    }

    private func finish() throws -> Received {
        let header = try self.check.finish()
        return Received(
            rows: header.rows, sha256: Hex.encode(self.hash.finalize()),
            bytes: self.bytes, file: self.file)
    }
}
