/// Base64 encodings used by JWS: base64url without padding (RFC 7515 §2) for JWS parts, standard base64 with padding
/// for `x5c`. Decoding is strict: wrong alphabet, wrong padding or non-zero unused bits are errors, so one encoded text
/// has exactly one meaning.
package enum Base64URL {
    private static let urlAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let standardAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        Self.encode(bytes, alphabet: Self.urlAlphabet, pad: false)
    }

    package static func encodeStandard(_ bytes: some Collection<UInt8>) -> String {
        Self.encode(bytes, alphabet: Self.standardAlphabet, pad: true)
    }

    package static func decode(_ text: String) -> [UInt8]? {
        Self.decode(text, alphabet: Self.urlAlphabet, padded: false)
    }

    package static func decodeStandard(_ text: String) -> [UInt8]? {
        Self.decode(text, alphabet: Self.standardAlphabet, padded: true)
    }

    private static func encode(_ bytes: some Collection<UInt8>, alphabet: [UInt8], pad: Bool) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(alphabet[Int(value >> 6 & 63)])
            out.append(alphabet[Int(value & 63)])
            index += 3
        }
        let rest = input.count - index
        if rest == 1 {
            let value = UInt32(input[index]) << 16
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            if pad { out.append(contentsOf: "==".utf8) }
        } else if rest == 2 {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            out.append(alphabet[Int(value >> 18 & 63)])
            out.append(alphabet[Int(value >> 12 & 63)])
            out.append(alphabet[Int(value >> 6 & 63)])
            if pad { out.append(UInt8(ascii: "=")) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func decode(_ text: String, alphabet: [UInt8], padded: Bool) -> [UInt8]? {
        var table = [Int8](repeating: -1, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = Int8(index) }
        var input = Array(text.utf8)
        if padded {
            guard input.count % 4 == 0 else { return nil }
            var padding = 0
            while input.last == UInt8(ascii: "=") && padding < 2 {
                input.removeLast()
                padding += 1
            }
        }
        guard input.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in input {
            let value = table[Int(byte)]
            guard value >= 0 else { return nil }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        // Canonical encodings leave the unused low bits zero.
        guard buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}
