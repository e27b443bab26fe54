import Foundation

/// Raw little-endian ring elements on disk: how `consort bench mpc` hands shares to and from party processes.
package enum ShareFiles {
    package static func write(_ shares: [Replicated3.Share], to path: String) throws {
        try Data(Self.encode(shares)).write(to: URL(fileURLWithPath: path))
    }

    /// Per share: u64 count, then both components (little-endian u64s).
    package static func encode(_ shares: [Replicated3.Share]) throws -> [UInt8] {
        var data: [UInt8] = []
        for share in shares {
            withUnsafeBytes(of: UInt64(share.count).littleEndian) { data.append(contentsOf: $0) }
            share.mine.withUnsafeBytes { data.append(contentsOf: $0) }
            share.next.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    package static func read(_ path: String) throws -> [Replicated3.Share] {
        try Self.decode(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    package static func decode(_ bytes: [UInt8]) throws -> [Replicated3.Share] {
        guard bytes.count % 8 == 0 else { throw MPCError(.invalidArgument, "a share file is a whole number of 8-byte words") }
        let words = bytes.withUnsafeBytes { raw in (0..<bytes.count / 8).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self) } }
        var shares: [Replicated3.Share] = []
        var offset = 0
        while offset < words.count {
            let count = Int(words[offset])
            guard count <= words.count / 2, offset + 1 + 2 * count <= words.count else { throw MPCError(.invalidArgument, "malformed share file: a share runs past the end") }
            shares.append(Replicated3.Share(mine: Array(words[offset + 1..<offset + 1 + count]),
                                            next: Array(words[offset + 1 + count..<offset + 1 + 2 * count])))
            offset += 1 + 2 * count
        }
        return shares
    }

    package static func writeWords(_ words: [UInt64], to path: String) throws {
        try words.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
    }

    package static func readWords(_ path: String) throws -> [UInt64] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard data.count % 8 == 0 else { throw MPCError(.invalidArgument, "malformed share file: a share runs past the end") }
        return data.withUnsafeBytes { Array($0.bindMemory(to: UInt64.self)) }
    }
}
