import CConsortRing
import Testing

@testable import ConsortMPC

/// The C loops under the Galois-ring proofs (`CConsortRing`), AVX-512, AVX2 and portable, against plain wrapping
/// arithmetic.
@Suite("Z_2^64 kernels", .serialized)
struct RingKernelTests {
    static func random(_ count: Int, _ generator: inout SystemRandomNumberGenerator) -> [UInt64] {
        // Edge words too: 0, 1, 2^32 ± 1 and the top of the ring, where a 32-bit split would carry wrongly.
        let edges: [UInt64] = [0, 1, 1 << 32, (1 << 32) - 1, (1 << 32) + 1, .max, 1 << 63]
        return (0..<count).map { $0 < edges.count ? edges[$0] : generator.next() }
    }

    @Test(
        "add, axpy, multiply-add, selected sums, products, row and round folds equal wrapping arithmetic on every path",
        arguments: [0, 1, 2])
    /// `path`: 0 the best this CPU has, 1 portable, 2 AVX2 at most.
    func kernels(path: Int32) {
        consort_ring_use_path(path)
        defer { consort_ring_use_path(0) }
        var generator = SystemRandomNumberGenerator()
        for n in [0, 1, 3, 4, 5, 32, 48, 1024 + 3] {
            let x = Self.random(n, &generator)
            let y = Self.random(n, &generator).reversed().map { $0 }
            for a: UInt64 in [0, 1, (1 << 32) + 7, .max, generator.next()] {
                var sum = y
                consort_ring_axpy(&sum, x, a, n)
                #expect(sum == zip(y, x).map { $0 &+ a &* $1 }, "axpy n=\(n) a=\(a)")
            }
            var added = y
            consort_ring_add(&added, x, n)
            #expect(added == zip(y, x).map { $0 &+ $1 }, "add n=\(n)")
            let z = Self.random(n, &generator).shuffled()
            var products = y
            consort_ring_multiply_add(&products, x, z, n)
            #expect(products == (0..<n).map { y[$0] &+ x[$0] &* z[$0] }, "multiply-add n=\(n)")
        }
        let d = 48
        let (a, b) = (Self.random(d, &generator), Self.random(d, &generator))
        var wide = Self.random(2 * d - 1, &generator)
        var expected = wide
        for i in 0..<d { for j in 0..<d { expected[i + j] = expected[i + j] &+ a[i] &* b[j] } }
        consort_ring_accumulate_product(a, b, &wide, d)
        #expect(wide == expected)

        for m in [1, 2, 5, 8, 64] {
            let basis = Self.random(m * d, &generator).shuffled()
            let (rowsA, rowsB) = (Self.random(m, &generator), Self.random(m, &generator).reversed().map { $0 })
            var (left, right) = (Self.random(d, &generator), Self.random(d, &generator))
            var (wantLeft, wantRight) = (left, right)
            for j in 0..<m {
                for i in 0..<d {
                    wantLeft[i] = wantLeft[i] &+ basis[j * d + i] &* rowsA[j]
                    wantRight[i] = wantRight[i] &+ basis[j * d + i] &* rowsB[j]
                }
            }
            var pairs = [UInt64](repeating: 0, count: d)
            consort_ring_fold_pairs(basis, m, &pairs)
            consort_ring_fold_rows(basis, pairs, rowsA, rowsB, m, &left, &right)
            #expect(left == wantLeft && right == wantRight, "fold rows m=\(m)")
        }
        // A binary round's fold against the Galois ring's own arithmetic, for exceptional r with few and many bits.
        for r: UInt64 in [2, 0b1011, GaloisRing.exceptionalMask, generator.next() & GaloisRing.exceptionalMask] {
            let half = 3
            let x = Self.random(2 * half * d, &generator)
            var folded = x
            consort_ring_fold_exceptional(&folded, half, r)
            for k in 0..<half {
                let lo = GaloisRing.Element(coefficients: Array(x[(k * d)..<((k + 1) * d)]))
                let hi = GaloisRing.Element(coefficients: Array(x[((k + half) * d)..<((k + half + 1) * d)]))
                let want = lo + GaloisRing.Element(exceptional: r) * (hi - lo)
                #expect(Array(folded[(k * d)..<((k + 1) * d)]) == want.coefficients, "fold r=\(r) k=\(k)")
            }
        }
        // One product by an exceptional element, in place too.
        for r: UInt64 in [0, 1, 2, 0b1011, GaloisRing.exceptionalMask, generator.next() & GaloisRing.exceptionalMask] {
            let x = Self.random(d, &generator).shuffled()
            let want = (GaloisRing.Element(exceptional: r) * GaloisRing.Element(coefficients: x)).coefficients
            var out = [UInt64](repeating: 0, count: d)
            consort_ring_multiply_exceptional(x, r, &out)
            var inPlace = x
            inPlace.withUnsafeMutableBufferPointer {
                consort_ring_multiply_exceptional($0.baseAddress!, r, $0.baseAddress!)
            }
            #expect(out == want && inPlace == want, "exceptional product r=\(r)")
        }
        // The grids' products of eight positions at once, against one position's extension and product at a time.
        for variables in [2, 6] {
            let grid = ProductProof.Grid.of(variables: variables)
            let (m, size) = (grid.rows, grid.size)
            let (a, b) = (Self.random(8 * m, &generator).shuffled(), Self.random(8 * m, &generator).shuffled())
            var out = [[UInt64]](repeating: [UInt64](repeating: 0, count: size), count: 8)
            var want = out
            var (left, right) = ([UInt64](repeating: 0, count: size), [UInt64](repeating: 0, count: size))
            for l in 0..<8 {
                a.withUnsafeBufferPointer { consort_ring_extend_grid($0.baseAddress! + l * m, grid.plan, size, &left) }
                b.withUnsafeBufferPointer { consort_ring_extend_grid($0.baseAddress! + l * m, grid.plan, size, &right) }
                want[l] = zip(left, right).map { $0 &* $1 }
            }
            let buffers = (0..<8).map { _ in UnsafeMutablePointer<UInt64>.allocate(capacity: size) }
            defer { buffers.forEach { $0.deallocate() } }
            let pointers: [UnsafeMutablePointer<UInt64>?] = buffers
            consort_ring_grid_products8(a, b, m, grid.plan, size, pointers)
            for l in 0..<8 { out[l] = Array(UnsafeBufferPointer(start: buffers[l], count: size)) }
            #expect(out == want, "grid products, \(variables) variables")
        }
        // Weighted sums of quads: s[t][z] += subsets[q][mask(q, t)][z], on a grid size that is not a multiple of 8.
        for (quads, size) in [(1, 9), (3, 27), (8, 729)] {
            let subsets = Self.random(quads * 16 * size, &generator).shuffled()
            let masks = (0..<(quads * d)).map { _ in UInt8.random(in: 0..<16, using: &generator) }
            var s = Self.random(d * size, &generator)
            var want = s
            for q in 0..<quads {
                for t in 0..<d {
                    for z in 0..<size {
                        want[t * size + z] = want[t * size + z] &+ subsets[(16 * q + Int(masks[q * d + t])) * size + z]
                    }
                }
            }
            consort_ring_add_selected(&s, subsets, masks, quads, size)
            #expect(s == want, "selected sums quads=\(quads) size=\(size)")
        }
        // Forcing a path really switches the faster ones off (path 0 runs whatever this CPU has).
        if path == 1 { #expect(consort_ring_vectorised() == 0) }
        if path == 2 { #expect(consort_ring_vectorised() <= 1) }
    }
}
