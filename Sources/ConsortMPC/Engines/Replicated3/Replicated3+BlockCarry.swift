extension Replicated3 {
    /// Planes per block of `Engine.blockCarry`: 8 rounds of ripple and a 3-level tree over 8 blocks for a sign bit.
    static let rippleBlock = 8
    /// Vectors shorter than this keep the log-depth tree over single bits: their rounds cost more than their gates.
    static let rippleMinimum = 4096

    /// The blocks of planes and the AND gates per round of `Engine.blockCarry` (its cost model reads the same plan).
    struct BlockCarryPlan {
        let blocks: [Range<Int>]
        let steps: Int

        init(planes: Int) {
            self.blocks = stride(from: 0, to: planes, by: Replicated3.rippleBlock).map {
                $0..<min(planes, $0 + Replicated3.rippleBlock)
            }
            self.steps = self.blocks.map(\.count).max() ?? 0
        }

        /// Planes ANDed in each round: a ripple step per block still going, and the propagate trees' next level.
        var planesPerStep: [Int] {
            var lengths = self.blocks.dropFirst().map(\.count)
            return (0..<self.steps).map { step in
                let ripple = self.blocks.filter { step < $0.count }.count
                let halving = lengths.reduce(0) { $0 + ($1 > 1 ? $1 / 2 : 0) }
                lengths = lengths.map { $0 > 1 ? $0 / 2 + $0 % 2 : $0 }
                return ripple + halving
            }
        }
    }
}

extension Replicated3.Engine {
    /// The carry out of a + b (all planes), by blocks of `Replicated3.rippleBlock` planes: in each block the carry
    /// ripples with one AND per bit, c′ = c ⊕ (a ⊕ c)(b ⊕ c), while the AND of its propagate bits builds up in the
    /// same rounds; a log-depth tree over the blocks' (generate, propagate) then gives the carry. About 2n AND gates
    /// instead of the 3n of a tree over single bits, for more rounds (`rippleMinimum` keeps small vectors on the tree).
    mutating func blockCarry(_ a: Replicated3.Bits, _ b: Replicated3.Bits) async throws -> Replicated3.Bits {
        let plan = Replicated3.BlockCarryPlan(planes: a.planes)
        let p = a ^ b
        var carries: [Replicated3.Bits?] = Array(repeating: nil, count: plan.blocks.count)
        // Per block after the first, the planes whose AND is its propagate bit, halved each step.
        var propagates: [[Replicated3.Bits]] = plan.blocks.enumerated().map { j, block in
            j == 0 ? [] : block.map { p.plane($0) }
        }
        for step in 0..<plan.steps {
            var left: [Replicated3.Bits] = []
            var right: [Replicated3.Bits] = []
            for (j, block) in plan.blocks.enumerated() where step < block.count {
                let i = block.lowerBound + step
                if let c = carries[j] {
                    left.append(a.plane(i) ^ c)
                    right.append(b.plane(i) ^ c)
                } else {
                    left.append(a.plane(i))
                    right.append(b.plane(i))
                }
            }
            for list in propagates where list.count > 1 {
                let half = list.count / 2
                left += list[0..<half]
                right += list[half..<(2 * half)]
            }
            let products = try await self.and(.stack(left), .stack(right)).unstack()
            var next = 0
            for (j, block) in plan.blocks.enumerated() where step < block.count {
                carries[j] = carries[j].map { $0 ^ products[next] } ?? products[next]
                next += 1
            }
            propagates = propagates.map { list in
                guard list.count > 1 else { return list }
                let half = list.count / 2
                defer { next += half }
                return Array(products[next..<(next + half)]) + (list.count % 2 == 1 ? [list[list.count - 1]] : [])
            }
        }
        let zero = Replicated3.Bits(
            mine: [UInt64](repeating: 0, count: a.words), next: [UInt64](repeating: 0, count: a.words), planes: 1,
            count: a.count)
        let generate = Replicated3.Bits.stack(carries.map { $0! })
        let propagate = Replicated3.Bits.stack([zero] + propagates.dropFirst().map { $0[0] })
        return try await self.carries(generate: generate, propagate: propagate, into: [plan.blocks.count])[0]
    }
}
