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
}
