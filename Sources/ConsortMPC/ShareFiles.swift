import Foundation

/// Raw little-endian ring elements on disk: how `consort bench mpc` hands shares to and from party processes.
package enum ShareFiles {
    package static func write(_ shares: [Replicated3.Share], to path: String) throws {
        var data = Data()
        for share in shares {
            withUnsafeBytes(of: UInt64(share.count).littleEndian) { data.append(contentsOf: $0) }
            share.mine.withUnsafeBytes { data.append(contentsOf: $0) }
            share.next.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    package static func read(_ path: String) throws -> [Replicated3.Share] {
        let words = try Self.readWords(path)
        var shares: [Replicated3.Share] = []
        var offset = 0
        while offset < words.count {
            let count = Int(words[offset])
            guard offset + 1 + 2 * count <= words.count else { throw MPCError(.invalidArgument, "\(path) is not a share file") }
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
        guard data.count % 8 == 0 else { throw MPCError(.invalidArgument, "\(path) is not a share file") }
        return data.withUnsafeBytes { Array($0.bindMemory(to: UInt64.self)) }
    }
}
