/// Bit-slicing: k-bit values of n elements as k bit planes of ⌈n/64⌉ words, so one 64-bit word operation acts on 64
/// elements' bits at once.
package enum BitMatrix {
    /// Transposes 64 words in place: afterwards bit e of word j is what bit j of word e was.
    @inlinable
    static func transpose64(_ block: UnsafeMutablePointer<UInt64>) {
        var width = 32
        var mask: UInt64 = 0x0000_0000_FFFF_FFFF
        while width > 0 {
            var row = 0
            while row < 64 {
                for i in row..<(row + width) {
                    let t = ((block[i] >> UInt64(width)) ^ block[i + width]) & mask
                    block[i + width] ^= t
                    block[i] ^= t << UInt64(width)
                }
                row += 2 * width
            }
            width >>= 1
            mask ^= mask << UInt64(width)
        }
    }

    /// Bit planes 0..<bits of `values`: result[plane * words + w] holds bit `plane` of elements 64w ..< 64w+64.
    package static func planes(_ values: [UInt64], bits: Int) -> [UInt64] {
        let words = (values.count + 63) / 64
        var result = [UInt64](repeating: 0, count: bits * words)
        var block = [UInt64](repeating: 0, count: 64)
        values.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { out in
                block.withUnsafeMutableBufferPointer { block in
                    for w in 0..<words {
                        let start = w * 64
                        let available = min(64, source.count - start)
                        for e in 0..<64 { block[e] = e < available ? source[start + e] : 0 }
                        transpose64(block.baseAddress!)
                        for plane in 0..<bits { out[plane * words + w] = block[plane] }
                    }
                }
            }
        }
        return result
    }

    /// The inverse of `planes`: `count` values rebuilt from `bits` planes (higher bits zero).
    package static func values(_ planes: [UInt64], bits: Int, count: Int) -> [UInt64] {
        let words = (count + 63) / 64
        var result = [UInt64](repeating: 0, count: count)
        var block = [UInt64](repeating: 0, count: 64)
        planes.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { out in
                block.withUnsafeMutableBufferPointer { block in
                    for w in 0..<words {
                        for plane in 0..<64 { block[plane] = plane < bits ? source[plane * words + w] : 0 }
                        transpose64(block.baseAddress!)
                        let start = w * 64
                        for e in 0..<min(64, count - start) { out[start + e] = block[e] }
                    }
                }
            }
        }
        return result
    }

    /// One plane (bit per element) as 0/1 ring elements.
    package static func unpack(_ plane: ArraySlice<UInt64>, count: Int) -> [UInt64] {
        let base = plane.startIndex
        return (0..<count).map { (plane[base + $0 >> 6] >> UInt64($0 & 63)) & 1 }
    }

    /// 0/1 ring elements (low bits) packed into one plane.
    package static func pack(_ bits: [UInt64]) -> [UInt64] {
        var plane = [UInt64](repeating: 0, count: (bits.count + 63) / 64)
        for (index, bit) in bits.enumerated() where bit & 1 == 1 { plane[index >> 6] |= 1 << UInt64(index & 63) }
        return plane
    }
}
