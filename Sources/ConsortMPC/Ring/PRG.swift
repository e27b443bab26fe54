import Crypto
import Foundation
import _CryptoExtras

/// A pseudo-random generator: the AES-128-CTR keystream of a key, read in order. Two parties holding the same key
/// and reading the same amounts in the same order get the same values — the basis of every correlated random value.
///
/// Keystream is produced in ≤ 1 MiB calls (BoringSSL is fastest at that size) with the counter advanced by hand.
package struct PRG: Sendable {
    private let key: SymmetricKey
    private var block: UInt64 = 0
    /// Zero plaintext for the CTR encryption; shared, never written.
    private static let zeroes = Data(count: PRG.chunkBytes)
    static let chunkBytes = 1 << 20

    package init(key: SymmetricKey) {
        precondition(key.bitCount == 128, "PRG keys are AES-128 keys")
        self.key = key
    }

    /// A fresh key from the system CSPRNG.
    package static func randomKey() -> SymmetricKey { SymmetricKey(size: .bits128) }

    /// The key of two 64-bit words (as sent over the transport).
    package static func key(words: [UInt64]) -> SymmetricKey {
        precondition(words.count == 2, "PRG keys are two words")
        return SymmetricKey(data: words.withUnsafeBytes { Array($0) })
    }

    /// The two words of a key (to send it).
    package static func words(of key: SymmetricKey) -> [UInt64] {
        key.withUnsafeBytes { bytes in
            [bytes.load(fromByteOffset: 0, as: UInt64.self), bytes.load(fromByteOffset: 8, as: UInt64.self)]
        }
    }

    /// The next `count` 64-bit words of the stream.
    package mutating func words(_ count: Int) -> [UInt64] {
        [UInt64](unsafeUninitializedCapacity: count) { buffer, initialised in
            self.fill(UnsafeMutableRawBufferPointer(buffer))
            initialised = count
        }
    }

    /// Fills `buffer` with the next bytes of the stream (whole 16-byte blocks are consumed).
    package mutating func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset < buffer.count {
            let length = min(Self.chunkBytes, buffer.count - offset)
            var nonce = [UInt8](repeating: 0, count: 16)
            withUnsafeBytes(of: self.block.bigEndian) { nonce.replaceSubrange(8..<16, with: $0) }
            // AES-CTR over a 128-bit big-endian counter: bytes 0...7 stay zero, so streams never overlap.
            let keystream = try! AES._CTR.encrypt(
                Self.zeroes.prefix(length), using: self.key, nonce: AES._CTR.Nonce(nonceBytes: nonce))
            keystream.withUnsafeBytes { source in
                (buffer.baseAddress! + offset).copyMemory(from: source.baseAddress!, byteCount: length)
            }
            offset += length
            self.block &+= UInt64((length + 15) / 16)
        }
    }

    /// A uniform integer in 0..<bound (Lemire's method with rejection, so exactly uniform).
    package mutating func uniform(below bound: UInt64) -> UInt64 {
        precondition(bound > 0)
        while true {
            let random = self.words(1)[0]
            let (high, low) = random.multipliedFullWidth(by: bound)
            let threshold = (0 &- bound) % bound
            if low >= threshold { return high }
        }
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates), drawn in one batch of stream words.
    package mutating func permutation(_ n: Int) -> [Int] {
        var result = Array(0..<n)
        guard n > 1 else { return result }
        var random = self.words(n)
        var next = 0
        for i in stride(from: n - 1, to: 0, by: -1) {
            let bound = UInt64(i + 1)
            var value: UInt64
            while true {
                if next == random.count {
                    random = self.words(64)
                    next = 0
                }
                let (high, low) = random[next].multipliedFullWidth(by: bound)
                next += 1
                if low >= (0 &- bound) % bound {
                    value = high
                    break
                }
            }
            result.swapAt(i, Int(value))
        }
        return result
    }
}
