import Foundation

/// Shares as they are uploaded, stored and released: a header that says whose shares of what they are, then the
/// shares of every column in the engine's encoding (`Specs/engines.md`, "Share envelopes").
///
///     "CSHR" | u8 version (1) | u32 little-endian header length | header (JSON) | payload
///
/// The payload holds `columns.count` shares of `rows` elements each, one after the other, each `rows ×
/// bytesPerElement` bytes. A node checks the header against the task before it stores anything, so shares dealt for
/// another engine, task, party or table are refused by name rather than computed on.
package struct ShareEnvelope: Sendable, Equatable {
    package struct Header: Codable, Sendable, Equatable {
        /// The engine's identity, `protocol/security/majority` (e.g. "replicated3/passive/honest").
        package var engine: String
        /// The engine's modulus (e.g. "2^64").
        package var modulus: String
        /// Which computing party these shares are for, and how many there are.
        package var party: Int
        package var parties: Int
        /// The task (SHA-256 of its CTS, hex).
        package var task: String
        /// The columns in payload order, and the rows of each.
        package var columns: [String]
        package var rows: Int

        package init(
            engine: String, modulus: String, party: Int, parties: Int, task: String, columns: [String], rows: Int
        ) {
            self.engine = engine
            self.modulus = modulus
            self.party = party
            self.parties = parties
            self.task = task
            self.columns = columns
            self.rows = rows
        }

        /// Refuses, naming the first field that differs, the header of an envelope that is not for `expected` (every
        /// field but the row count, which is checked against `maximumRows`).
        package func check(_ expected: Header, maximumRows: Int) throws {
            let actual = self
            func refuse(_ what: String, _ got: String, _ want: String) throws -> Never {
                throw MPCError(.invalidArgument, "the shares are for \(what) \(got), not \(want)")
            }
            if actual.task != expected.task { try refuse("task", actual.task, expected.task) }
            if actual.engine != expected.engine { try refuse("the engine", actual.engine, expected.engine) }
            if actual.modulus != expected.modulus { try refuse("modulus", actual.modulus, expected.modulus) }
            if actual.parties != expected.parties {
                try refuse("a session of", "\(actual.parties) parties", "\(expected.parties)")
            }
            if actual.party != expected.party {
                try refuse("computing party", "\(actual.party)", "\(expected.party) (this node)")
            }
            if actual.columns != expected.columns {
                try refuse("columns", actual.columns.joined(separator: ","), expected.columns.joined(separator: ","))
            }
            guard actual.rows <= maximumRows else {
                throw MPCError(
                    .invalidArgument,
                    "the shares hold \(actual.rows) rows, more than the \(maximumRows) the table allows")
            }
        }
    }

    package var header: Header
    package var payload: [UInt8]

    static let magic: [UInt8] = Array("CSHR".utf8)
    static let version: UInt8 = 1
    /// A header is a few hundred bytes; this bounds what a malformed length can make a reader allocate.
    static let maximumHeaderLength = 1 << 20

    /// The most bytes an envelope of `columns` columns of `rows` elements can take: prefix, the largest header a
    /// reader accepts, and the payload.
    package static func maximumSize(columns: Int, rows: Int, bytesPerElement: Int) -> Int {
        Self.prefixLength + Self.maximumHeaderLength + columns * rows * bytesPerElement
    }

    /// The bytes of an envelope with `header` whose shares take `bytesPerElement` bytes an element.
    package static func size(header: Header, bytesPerElement: Int) -> Int {
        let encoded = (try? Self.encoder.encode(header))?.count ?? 0
        return Self.prefixLength + encoded + header.columns.count * header.rows * bytesPerElement
    }

    /// An envelope for `shares` (one per column, in `header.columns` order).
    package init<S: SharedVector>(header: Header, shares: [S]) throws {
        guard shares.count == header.columns.count, shares.allSatisfy({ $0.count == header.rows }) else {
            throw MPCError(
                .invalidArgument,
                "an envelope of \(header.columns.count) columns of \(header.rows) rows got \(shares.count) shares of \(shares.map(\.count)) elements"
            )
        }
        self.header = header
        self.payload = []
        self.payload.reserveCapacity(shares.count * header.rows * S.bytesPerElement)
        for share in shares { self.payload += share.encoded }
    }

    /// Reads an envelope, checking its frame (not yet what it is for: see `check`).
    package init(bytes: [UInt8]) throws {
        guard let (header, payloadStart) = try Self.frame(bytes) else {
            if bytes.count < Self.prefixLength { throw Self.notAnEnvelope }
            throw MPCError(.invalidArgument, "the share envelope's header runs past its end")
        }
        self.header = header
        self.payload = Array(bytes[payloadStart...])
    }

    package static let prefixLength = 9
    static let notAnEnvelope = MPCError(
        .invalidArgument,
        "not a share envelope (it must start with \"CSHR\"): shares are made by 'consort input upload'")

    /// The header of the envelope `bytes` begins with and where its payload starts; nil while `bytes` is too short to
    /// hold them. Throws as soon as the bytes cannot begin an envelope.
    package static func frame(_ bytes: [UInt8]) throws -> (Header, payloadStart: Int)? {
        guard bytes.count >= Self.magic.count else { return nil }
        guard Array(bytes[0..<4]) == Self.magic else { throw Self.notAnEnvelope }
        guard bytes.count >= Self.prefixLength else { return nil }
        guard bytes[4] == Self.version else {
            throw MPCError(
                .invalidArgument,
                "share envelope version \(bytes[4]) is not supported (this build reads version \(Self.version))")
        }
        let length = Int(bytes[5]) | Int(bytes[6]) << 8 | Int(bytes[7]) << 16 | Int(bytes[8]) << 24
        guard length <= Self.maximumHeaderLength else {
            throw MPCError(
                .invalidArgument,
                "the share envelope's header length \(length) is more than the \(Self.maximumHeaderLength) allowed")
        }
        let end = Self.prefixLength + length
        guard bytes.count >= end else { return nil }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes[Self.prefixLength..<end]))
        } catch {
            throw MPCError(.invalidArgument, "the share envelope's header is not valid: \(error)")
        }
        guard header.rows >= 0, header.parties > 0, (0..<header.parties).contains(header.party) else {
            throw MPCError(
                .invalidArgument,
                "the share envelope's header names party \(header.party) of \(header.parties) and \(header.rows) rows"
            )
        }
        return (header, end)
    }

    /// The envelope's bytes.
    package var bytes: [UInt8] {
        let header = (try? Self.encoder.encode(self.header)).map(Array.init) ?? []
        let length = UInt32(header.count)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(9 + header.count + self.payload.count)
        bytes += Self.magic
        bytes.append(Self.version)
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 24)]
        bytes += header
        bytes += self.payload
        return bytes
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Refuses, naming the first field that differs, an envelope that is not for `expected` (see `Header.check`).
    package func check(_ expected: Header, maximumRows: Int) throws {
        try self.header.check(expected, maximumRows: maximumRows)
    }

    /// The shares of every column, decoded as `S` (the payload must be exactly their size).
    package func shares<S: SharedVector>(as type: S.Type) throws -> [S] {
        let size = self.header.rows * S.bytesPerElement
        guard self.payload.count == size * self.header.columns.count else {
            throw MPCError(
                .invalidArgument,
                "the share envelope holds \(self.payload.count) bytes of shares where \(self.header.columns.count) columns of \(self.header.rows) rows take \(size * self.header.columns.count)"
            )
        }
        return try self.header.columns.indices.map { column in
            try S(encoded: self.payload[column * size..<(column + 1) * size], count: self.header.rows)
        }
    }
}

extension EngineTraits {
    /// The engine's identity in share envelopes and CTSs: `protocol/security/majority`.
    package var identity: String { "\(self.name)/\(self.security.rawValue)/\(self.majority.rawValue)" }
}
