import ConsortMPC
import ConsortTesting
import Testing

/// Random inputs always include the edge values of the ring.
func ringValues(_ count: Int, seed: UInt64) -> [UInt64] {
    var generator = SeededGenerator(seed: seed)
    let edges: [UInt64] = [0, 1, 2, UInt64(1) << 63, UInt64.max, UInt64.max - 1, 1 << 32, (1 << 63) - 1]
    return (0..<count).map { $0 < edges.count ? edges[$0] : generator.next() }
}

/// Values v with |v| < 2^bound as two's complement, edge values included.
func signedValues(_ count: Int, bound: Int, seed: UInt64) -> [UInt64] {
    var generator = SeededGenerator(seed: seed)
    let limit = Int64(1) << Int64(bound)
    let edges: [Int64] = [0, 1, -1, limit - 1, -(limit - 1), 2, -2]
    return (0..<count).map { index in
        let value = index < edges.count ? edges[index] : Int64.random(in: -(limit - 1)...(limit - 1), using: &generator)
        return UInt64(bitPattern: value)
    }
}

/// A deterministic generator so failures reproduce (splitmix64).
typealias SeededGenerator = SplitMix64

@Suite("Replicated sharing and arithmetic")
struct ArithmeticTests {
    @Test("sharing and reconstruction round-trip; a tampered share is detected")
    func sharing() throws {
        let values = ringValues(1000, seed: 1)
        var shares = Replicated3.share(values).shares
        #expect(try Replicated3.reconstruct(shares) == values)
        shares[1].next[17] &+= 1
        #expect(throws: MPCError(.inconsistentShares, "")) { try Replicated3.reconstruct(shares) }
    }

    @Test(
        "linear operations, multiplication, dot product and opening match plaintext", arguments: [1, 63, 64, 65, 1000])
    func arithmetic(_ count: Int) async throws {
        let x = ringValues(count, seed: 2)
        let y = ringValues(count, seed: 3).reversed().map { $0 }
        let xs = MPCHarness.shares(x)
        let ys = MPCHarness.shares(y)
        let results = try await MPCHarness.run { session in
            let p = session.party
            let product = try await session.multiply(xs[p], ys[p])
            let dot = try await session.dot(xs[p], ys[p])
            let opened = try await session.open(xs[p] + ys[p])
            let affine = (xs[p] - ys[p]).scaled(by: 7).adding(constant: 11, party: p)
            return (product, dot, opened, affine)
        }
        #expect(try MPCHarness.reveal(results.map(\.0)) == zip(x, y).map { $0 &* $1 })
        #expect(try MPCHarness.reveal(results.map(\.1)) == [zip(x, y).reduce(0) { $0 &+ $1.0 &* $1.1 }])
        #expect(results.allSatisfy { $0.2 == zip(x, y).map { Int64(bitPattern: $0 &+ $1) } })
        #expect(try MPCHarness.reveal(results.map(\.3)) == zip(x, y).map { ($0 &- $1) &* 7 &+ 11 })
    }

    @Test("one party's input is shared without revealing it to the others")
    func input() async throws {
        let values = ringValues(100, seed: 4)
        let results = try await MPCHarness.run { session in
            try await session.input(words: session.party == 1 ? values : nil, from: 1, count: values.count)
        }
        #expect(try MPCHarness.reveal(results) == values)
        #expect(results[0].mine != values && results[2].next != values)
    }
}
