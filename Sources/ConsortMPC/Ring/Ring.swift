/// Arithmetic on whole vectors over Z_2^64 (wrapping UInt64), written as tight loops over contiguous buffers so the
/// optimiser vectorises them. Every protocol step works on whole columns through these.
package enum Ring {
    @inlinable
    package static func add(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        precondition(a.count == b.count, "vector lengths differ")
        return [UInt64](unsafeUninitializedCapacity: a.count) { out, count in
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    for i in 0..<a.count { out[i] = a[i] &+ b[i] }
                }
            }
            count = a.count
        }
    }

    @inlinable
    package static func subtract(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        precondition(a.count == b.count, "vector lengths differ")
        return [UInt64](unsafeUninitializedCapacity: a.count) { out, count in
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    for i in 0..<a.count { out[i] = a[i] &- b[i] }
                }
            }
            count = a.count
        }
    }

    @inlinable
    package static func negate(_ a: [UInt64]) -> [UInt64] {
        a.map { 0 &- $0 }
    }

    @inlinable
    package static func scale(_ a: [UInt64], by c: UInt64) -> [UInt64] {
        [UInt64](unsafeUninitializedCapacity: a.count) { out, count in
            a.withUnsafeBufferPointer { a in
                for i in 0..<a.count { out[i] = a[i] &* c }
            }
            count = a.count
        }
    }

    @inlinable
    package static func multiply(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        precondition(a.count == b.count, "vector lengths differ")
        return [UInt64](unsafeUninitializedCapacity: a.count) { out, count in
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    for i in 0..<a.count { out[i] = a[i] &* b[i] }
                }
            }
            count = a.count
        }
    }

    @inlinable
    package static func xor(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        precondition(a.count == b.count, "vector lengths differ")
        return [UInt64](unsafeUninitializedCapacity: a.count) { out, count in
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    for i in 0..<a.count { out[i] = a[i] ^ b[i] }
                }
            }
            count = a.count
        }
    }

    /// Σₖ aₖbₖ.
    @inlinable
    package static func dot(_ a: [UInt64], _ b: [UInt64]) -> UInt64 {
        precondition(a.count == b.count, "vector lengths differ")
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                var (s0, s1) = (UInt64(0), UInt64(0))
                var i = 0
                while i + 1 < a.count {
                    s0 = s0 &+ a[i] &* b[i]
                    s1 = s1 &+ a[i + 1] &* b[i + 1]
                    i += 2
                }
                if i < a.count { s0 = s0 &+ a[i] &* b[i] }
                return s0 &+ s1
            }
        }
    }

    @inlinable
    package static func sum(_ a: [UInt64]) -> UInt64 {
        a.withUnsafeBufferPointer { a in
            var s0: UInt64 = 0
            var s1: UInt64 = 0
            var i = 0
            while i + 1 < a.count {
                s0 = s0 &+ a[i]
                s1 = s1 &+ a[i + 1]
                i += 2
            }
            if i < a.count { s0 = s0 &+ a[i] }
            return s0 &+ s1
        }
    }

    /// Words from their little-endian bytes (a whole number of words), in one copy.
    package static func words(littleEndian bytes: ArraySlice<UInt8>) -> [UInt64] {
        precondition(bytes.count % 8 == 0, "a whole number of 8-byte words")
        return [UInt64](unsafeUninitializedCapacity: bytes.count / 8) { buffer, initialised in
            bytes.withUnsafeBytes { raw in UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw) }
            for i in 0..<buffer.count { buffer[i] = UInt64(littleEndian: buffer[i]) }
            initialised = bytes.count / 8
        }
    }
}
