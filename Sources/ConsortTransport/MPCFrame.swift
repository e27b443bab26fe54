import ConsortMPC
import ConsortSpec
import NIOCore

#if _endian(big)
    #error("the MPC wire format writes ring elements as stored: a little-endian host is assumed")
#endif

/// The wire format of MPC traffic between computing parties (`Specs/wire-protocol.md`):
///
///     u32 length of the rest | u8 kind | 16-byte session id | u64 sequence number | payload
///
/// `hello` (payload: u8 party index) opens a connection. A message of ring elements (little-endian u64s) travels as
/// `dataMore` frames of at most `wordsPerFrame` elements and a final `data` frame; sequence numbers count these frames
/// per direction from 0, so a dropped, replayed or reordered frame is a violation. `end` says the sender has finished
/// the session. `abort` (payload: UTF-8 "code: reason") tells the peers why a party gave up, so every party reports
/// the cause (e.g. a frozen third party's timeout) rather than just "peer lost".
enum MPCFrame {
    enum Kind: UInt8 {
        case hello = 1
        case data = 2
        case abort = 3
        /// A fragment of a message whose last fragment is a `data` frame.
        case dataMore = 4
        /// The sender has finished the session: it sends nothing more.
        case end = 5
        /// "Still here": sent every heartbeat interval until the sender ends the session, so a silent peer (stopped,
        /// cut off) is noticed within seconds rather than at the round timeout. Outside the data sequence.
        case heartbeat = 6
    }

    static let headerLength = 1 + 16 + 8
    /// Ring elements per frame: a message is cut into frames of at most 1 MiB, so both ends stream it (no
    /// message-sized reassembly buffers in the TLS or framing layers) and a receiver's buffering stays bounded.
    static let wordsPerFrame = 1 << 17
    /// Largest frame accepted.
    static let maximumLength = headerLength + 8 * wordsPerFrame
    /// Largest message accepted (2^27 ring elements, 1 GiB): bounds what a peer can make us buffer.
    static let maximumMessageWords = 1 << 27

    /// The frames of one message: `dataMore` fragments, then a final `data` frame (possibly empty); each takes the
    /// next sequence number from `sequence`.
    static func encode(session: [UInt8], sequence: inout UInt64, words: [UInt64], allocator: ByteBufferAllocator)
        -> [ByteBuffer]
    {
        var frames: [ByteBuffer] = []
        var start = 0
        repeat {
            let end = min(words.count, start + wordsPerFrame)
            var buffer = allocator.buffer(capacity: 4 + headerLength + (end - start) * 8)
            buffer.writeInteger(UInt32(headerLength + (end - start) * 8))
            buffer.writeInteger(end == words.count ? Kind.data.rawValue : Kind.dataMore.rawValue)
            buffer.writeBytes(session)
            buffer.writeInteger(sequence)
            // Ring elements are sent as stored: little-endian on every platform Consort runs on.
            words.withUnsafeBytes { _ = buffer.writeBytes(UnsafeRawBufferPointer(rebasing: $0[start * 8..<end * 8])) }
            frames.append(buffer)
            sequence += 1
            start = end
        } while start < words.count
        return frames
    }

    /// `end`, carrying the sender's signed claim of what it sent the receiver and received from it.
    static func end(session: [UInt8], claim: EndClaim, allocator: ByteBufferAllocator) -> ByteBuffer {
        Self.control(.end, session: session, payload: claim.bytes, allocator: allocator)
    }

    static func heartbeat(session: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        Self.control(.heartbeat, session: session, payload: [], allocator: allocator)
    }

    static func hello(session: [UInt8], party: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        Self.control(.hello, session: session, payload: [UInt8(party)], allocator: allocator)
    }

    static func abort(session: [UInt8], error: MPCError, allocator: ByteBufferAllocator) -> ByteBuffer {
        // Reasons are short and never contain shares; cap them so an abort frame stays small.
        let text = Array("\(error.code): \(error.message)".utf8.prefix(1024))
        return Self.control(.abort, session: session, payload: text, allocator: allocator)
    }

    /// A frame outside the data sequence (sequence number 0).
    private static func control(_ kind: Kind, session: [UInt8], payload: [UInt8], allocator: ByteBufferAllocator)
        -> ByteBuffer
    {
        var buffer = allocator.buffer(capacity: 4 + headerLength + payload.count)
        buffer.writeInteger(UInt32(headerLength + payload.count))
        buffer.writeInteger(kind.rawValue)
        buffer.writeBytes(session)
        buffer.writeInteger(UInt64(0))
        buffer.writeBytes(payload)
        return buffer
    }

    /// The error a peer's abort frame reports, attributed to that peer ("computing party 2 (cp-c)": the member is named,
    /// since the reason may name another party, e.g. the one the aborting party stopped hearing from).
    static func abortReason(_ payload: ByteBuffer, from peer: String) -> MPCError {
        let text = payload.getString(at: payload.readerIndex, length: payload.readableBytes) ?? ""
        let (name, reason) =
            text.firstIndex(of: ":").map { (String(text[..<$0]), text[text.index(after: $0)...].trimmingPrefix(" ")) }
            ?? ("", Substring(text))
        let code = MPCError.Code(description: name) ?? .protocolViolation
        return MPCError(code, "\(peer) aborted the session: \(reason)")
    }

    /// A parsed frame.
    struct Parsed {
        var kind: Kind
        var session: [UInt8]
        var sequence: UInt64
        var payload: ByteBuffer
    }

    static func parse(_ frame: ByteBuffer) throws -> Parsed {
        var frame = frame
        guard let rawKind = frame.readInteger(as: UInt8.self), let kind = Kind(rawValue: rawKind),
            let session = frame.readBytes(length: 16), let sequence = frame.readInteger(as: UInt64.self)
        else {
            throw MPCError(.protocolViolation, "malformed MPC frame header")
        }
        return Parsed(kind: kind, session: session, sequence: sequence, payload: frame)
    }

    /// Concatenates the little-endian u64 payloads of a message's frames into ring elements (one copy).
    static func words(_ payloads: [ByteBuffer]) throws -> [UInt64] {
        let bytes = payloads.reduce(0) { $0 + $1.readableBytes }
        guard bytes % 8 == 0 else {
            throw MPCError(.protocolViolation, "MPC message of \(bytes) bytes is not a whole number of ring elements")
        }
        return [UInt64](unsafeUninitializedCapacity: bytes / 8) { buffer, initialised in
            var offset = 0
            let destination = UnsafeMutableRawBufferPointer(buffer)
            for payload in payloads {
                payload.withUnsafeReadableBytes { raw in
                    UnsafeMutableRawBufferPointer(rebasing: destination[offset..<offset + raw.count]).copyMemory(
                        from: raw)
                    offset += raw.count
                }
            }
            initialised = bytes / 8
        }
    }
}
