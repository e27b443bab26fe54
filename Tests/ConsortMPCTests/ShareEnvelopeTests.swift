import ConsortMPC
import Foundation
import Testing

@Suite("Share envelopes")
struct ShareEnvelopeTests {
    static let header = ShareEnvelope.Header(
        engine: "replicated3/passive/honest", modulus: "2^64", party: 1, parties: 3,
        task: String(repeating: "ab", count: 32), columns: ["region", "income"], rows: 5)

    static func envelope() throws -> ShareEnvelope {
        let shares = Replicated3.share([1, 2, 3, 4, 5]).shares
        return try ShareEnvelope(header: Self.header, shares: [shares[1], shares[1].scaled(by: 3)])
    }

    @Test("an envelope round-trips through its bytes, header and shares")
    func roundTrip() throws {
        let envelope = try Self.envelope()
        let read = try ShareEnvelope(bytes: envelope.bytes)
        #expect(read == envelope)
        #expect(try read.shares(as: Replicated3.Share.self) == envelope.shares(as: Replicated3.Share.self))
        try read.check(Self.header, maximumRows: 5)
    }

    @Test(
        "an envelope for another task, engine, party or table is refused, naming what differs",
        arguments: ["task", "the engine", "modulus", "computing party", "a session of", "columns"])
    func refusals(_ field: String) throws {
        var expected = Self.header
        switch field {
        case "task": expected.task = String(repeating: "cd", count: 32)
        case "the engine": expected.engine = "replicated3/active/honest"
        case "modulus": expected.modulus = "2^104"
        case "computing party": expected.party = 2
        case "a session of": expected.parties = 4
        default: expected.columns = ["income", "region"]
        }
        let error = try #require(throws: MPCError.self) { try Self.envelope().check(expected, maximumRows: 5) }
        #expect(error.message.contains("the shares are for \(field)"), "\(error.message)")
    }

    @Test("too many rows, a truncated payload, a bad frame or header are refused")
    func malformed() throws {
        let bytes = try Self.envelope().bytes
        #expect(throws: MPCError.self) { try Self.envelope().check(Self.header, maximumRows: 4) }
        let truncated = try ShareEnvelope(bytes: Array(bytes.dropLast(8)))
        #expect(throws: MPCError.self) { try truncated.shares(as: Replicated3.Share.self) }
        #expect(throws: MPCError.self) { try ShareEnvelope(bytes: Array("CSHX".utf8) + bytes.dropFirst(4)) }
        #expect(throws: MPCError.self) { try ShareEnvelope(bytes: Array(bytes.prefix(20))) }
        var badHeader = bytes
        badHeader[9] = UInt8(ascii: "[")
        #expect(throws: MPCError.self) { try ShareEnvelope(bytes: badHeader) }
    }

    /// Feeds `bytes` to a stream in pieces of `piece` bytes and returns the header it ends with.
    static func stream(_ bytes: [UInt8], piece: Int, expected: ShareEnvelope.Header = Self.header) throws
        -> ShareEnvelope.Header
    {
        var stream = ShareEnvelopeStream(bytesPerElement: Replicated3.Share.bytesPerElement) { header in
            try header.check(expected, maximumRows: 5)
        }
        for start in stride(from: 0, to: bytes.count, by: piece) {
            try bytes[start..<min(start + piece, bytes.count)].withUnsafeBytes { try stream.consume($0) }
        }
        return try stream.finish()
    }

    @Test(
        "an envelope checked as it streams in, in pieces of any size, gives the header it holds",
        arguments: [1, 7, 64, 1 << 20])
    func streamed(piece: Int) throws {
        #expect(try Self.stream(try Self.envelope().bytes, piece: piece) == Self.header)
    }

    @Test("a streamed envelope is refused for a wrong header before its payload, for a payload too short or too long")
    func streamedRefusals() throws {
        let bytes = try Self.envelope().bytes
        var other = Self.header
        other.task = String(repeating: "cd", count: 32)
        // The header alone (no payload yet) is enough to refuse shares for another task.
        let headerOnly = Array(bytes.prefix(bytes.count - 2 * 5 * Replicated3.Share.bytesPerElement))
        var stream = ShareEnvelopeStream(bytesPerElement: Replicated3.Share.bytesPerElement) { header in
            try header.check(other, maximumRows: 5)
        }
        let early = try #require(throws: MPCError.self) { try headerOnly.withUnsafeBytes { try stream.consume($0) } }
        #expect(early.message.contains("the shares are for task"), "\(early.message)")
        let cases: [([UInt8], String)] = [
            (Array(bytes.dropLast(8)), "holds 152 bytes of shares where 2 columns of 5 rows take 160"),
            (bytes + [0], "holds 161 bytes of shares"),
            (Array(bytes.prefix(6)), "not a share envelope"),
            (Array(bytes.prefix(40)), "header runs past its end"),
            (Array("rows in the clear".utf8), "not a share envelope"),
        ]
        for (bytes, reason) in cases {
            let error = try #require(throws: MPCError.self) { try Self.stream(bytes, piece: 3) }
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }
}
