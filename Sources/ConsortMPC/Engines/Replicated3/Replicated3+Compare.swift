extension Replicated3.Engine {
    /// The sign bit of x as an XOR-shared bit, for |x| < 2^(bits−1): bit bits−1 of a + b, i.e. a_{k−1} ⊕ b_{k−1} ⊕
    /// carry into k−1. Rounds: 1 + 1 + ⌈log₂(bits−1)⌉; about 3·bits AND gates per element.
    package mutating func signBit(_ x: Replicated3.Share, bits: Int = 64) async throws -> Replicated3.Bits {
        guard (2...64).contains(bits) else {
            throw MPCError(.invalidArgument, "sign bit needs 2...64 bits, not \(bits)")
        }
        let (a, b, _, _) = try await self.splitAddends(x, bits: bits)
        let top = a.plane(bits - 1) ^ b.plane(bits - 1)
        let lowA = Replicated3.Bits(
            mine: Array(a.mine[0..<(bits - 1) * a.words]), next: Array(a.next[0..<(bits - 1) * a.words]),
            planes: bits - 1, count: a.count)
        let lowB = Replicated3.Bits(
            mine: Array(b.mine[0..<(bits - 1) * b.words]), next: Array(b.next[0..<(bits - 1) * b.words]),
            planes: bits - 1, count: b.count)
        guard x.count >= Replicated3.rippleMinimum else {
            let g = try await self.and(lowA, lowB)
            let carry = try await self.carries(generate: g, propagate: lowA ^ lowB, into: [bits - 1])[0]
            return top ^ carry
        }
        return top ^ (try await self.blockCarry(lowA, lowB))
    }

    /// x < y as an arithmetic 0/1 share, for |x − y| < 2^(bits−1).
    package mutating func lessThan(_ x: Replicated3.Share, _ y: Replicated3.Share, bits: Int = 64) async throws
        -> Replicated3.Share
    {
        try await self.bitToArithmetic(try await self.signBit(x - y, bits: bits))
    }

    /// x < 0 as an arithmetic bit, for |x| < 2^(bits−1).
    package mutating func lessThanZero(_ x: Replicated3.Share, bits: Int = 64) async throws -> Replicated3.Share {
        try await self.bitToArithmetic(try await self.signBit(x, bits: bits))
    }

    /// x == y as an XOR-shared bit, for |x − y| < 2^bits: the low `bits` bits of a and −b agree.
    /// Rounds: 1 + ⌈log₂ bits⌉; bits−1 AND gates per element.
    package mutating func equalBit(_ x: Replicated3.Share, _ y: Replicated3.Share, bits: Int = 64) async throws
        -> Replicated3.Bits
    {
        guard (1...64).contains(bits) else {
            throw MPCError(.invalidArgument, "equality needs 1...64 bits, not \(bits)")
        }
        let (a, negativeB, _, _) = try await self.splitAddends(x - y, bits: bits, negateB: true)
        return try await self.andReduce((a ^ negativeB).inverted(party: self.party))
    }

    /// x == y as an arithmetic 0/1 share, for |x − y| < 2^bits.
    package mutating func equal(_ x: Replicated3.Share, _ y: Replicated3.Share, bits: Int = 64) async throws
        -> Replicated3.Share
    {
        try await self.bitToArithmetic(try await self.equalBit(x, y, bits: bits))
    }

    /// The bits of x mod 2^bits as arithmetic 0/1 shares: result[j · n + e] is bit j of element e.
    /// One carry tree per bit position; for aggregates, not for whole columns.
    package mutating func bitDecompose(_ x: Replicated3.Share, bits: Int) async throws -> Replicated3.Share {
        guard (1...64).contains(bits) else { throw MPCError(.invalidArgument, "bit decomposition of \(bits) bits") }
        let (a, b, _, _) = try await self.splitAddends(x, bits: bits)
        let p = a ^ b
        guard bits > 1 else { return try await self.bitToArithmetic(p) }
        let g = try await self.and(a, b)
        let carries = try await self.carries(generate: g, propagate: p, into: Array(1..<bits))
        let sums = [p.plane(0)] + (1..<bits).map { p.plane($0) ^ carries[$0 - 1] }
        return try await self.bitToArithmetic(.stack(sums))
    }

    /// Converts XOR-shared bits (every plane) into arithmetic 0/1 shares: result[p * count + e] is plane p, element e.
    ///
    /// Per third of the vector, party c knows d = b_c ⊕ b_{c+1}; parties c+1 and c+2 know e = b_{c+2}; b = d + e − 2de.
    /// Round 1: party c shares d (one message). Round 2: parties c+1 and c+2 hold the two halves of de and reshare them
    /// masked by their common PRG (two messages). 16 bytes total per bit, two rounds.
    package mutating func bitToArithmetic(_ bits: Replicated3.Bits) async throws -> Replicated3.Share {
        let perPlane = bits.count
        let stride = bits.words * 64
        // Lay the planes end to end as one plane of planes·words·64 elements.
        let total = bits.planes * stride
        let flat = Replicated3.Bits(mine: bits.mine, next: bits.next, planes: 1, count: total)
        let converted = try await self.bitToArithmeticPlane(flat)
        guard bits.planes > 1 || perPlane != total else { return converted }
        let indices = (0..<bits.planes).flatMap { plane in (plane * stride)..<(plane * stride + perPlane) }
        return converted.permuted(indices)
    }

    private mutating func bitToArithmeticPlane(_ bits: Replicated3.Bits) async throws -> Replicated3.Share {
        let count = bits.count
        let chunks = Self.chunks(count)
        var dMine = [UInt64](repeating: 0, count: count)
        var dNext = dMine
        var e = dMine
        var outgoing: [UInt64] = []
        var incoming = 0
        // Round 1: party c shares d.
        for c in 0..<3 {
            let chunk = chunks[c]
            let words = (chunk.lowerBound / 64)..<((chunk.upperBound + 63) / 64)
            switch (self.party - c + 3) % 3 {
            case 0:
                let d = BitMatrix.unpack(
                    Ring.xor(Array(bits.mine[words]), Array(bits.next[words]))[...], count: chunk.count)
                let r = self.withNext.words(chunk.count)
                var masked = Ring.subtract(d, r)
                if !masked.isEmpty && self.deviates(.wrongConversion) { masked[0] &+= 1 }
                dMine.replaceSubrange(chunk, with: masked)
                dNext.replaceSubrange(chunk, with: r)
                outgoing = masked
                if self.verification != nil {
                    // masked + r = b_c ⊕ b_{c+1} = b_c + b_{c+1} − 2·b_c·b_{c+1}.
                    let own = BitMatrix.unpack(bits.mine[words], count: chunk.count)
                    let following = BitMatrix.unpack(bits.next[words], count: chunk.count)
                    self.record(
                        .mine, a: own, b: Ring.scale(following, by: 2),
                        e: Ring.subtract(Ring.add(masked, r), Ring.add(own, following)))
                }
            case 1:
                let r = self.withPrevious.words(chunk.count)
                dMine.replaceSubrange(chunk, with: r)
                e.replaceSubrange(chunk, with: BitMatrix.unpack(bits.next[words], count: chunk.count))
                if self.verification != nil {
                    let own = BitMatrix.unpack(bits.mine[words], count: chunk.count)
                    self.record(.ofPrevious, a: nil, b: Ring.scale(own, by: 2), e: Ring.subtract(r, own))
                }
            default:
                e.replaceSubrange(chunk, with: BitMatrix.unpack(bits.mine[words], count: chunk.count))
                incoming = c
            }
        }
        let first = try await self.exchange(toPrevious: outgoing, fromNext: true)
        let receivedMasked = try self.expect(first.next, count: chunks[incoming].count, from: self.next)
        dNext.replaceSubrange(chunks[incoming], with: receivedMasked)
        if self.verification != nil {
            let chunk = chunks[incoming]
            let words = (chunk.lowerBound / 64)..<((chunk.upperBound + 63) / 64)
            let previousBits = BitMatrix.unpack(bits.next[words], count: chunk.count)
            self.record(.ofNext, a: previousBits, b: nil, e: Ring.subtract(receivedMasked, previousBits))
        }

        // Round 2: de = ([d]_c + [d]_{c+1})·e; c+1 knows u = [d]_{c+1}·e, c+2 knows v = [d]_c·e. With r, r' from
        // K(c+2): [de]_{c+2} = r, [de]_{c+1} = u − r − r' (c+1 → c), [de]_c = v + r' (c+2 → c).
        var deMine = [UInt64](repeating: 0, count: count)
        var deNext = deMine
        typealias Statement = (a: [UInt64]?, b: [UInt64]?, e: [UInt64])
        var mineA: Statement? = nil
        var mineB: Statement? = nil
        var ofNextB: Statement? = nil
        var ofPreviousA: Statement? = nil
        var toPrevious: [UInt64] = []
        var toNext: [UInt64] = []
        var owned = 0
        for c in 0..<3 {
            let chunk = chunks[c]
            switch (self.party - c + 3) % 3 {
            case 0:
                owned = c
            case 1:
                let u = Ring.multiply(Array(dMine[chunk]), Array(e[chunk]))
                let r = self.withNext.words(chunk.count)
                let r2 = self.withNext.words(chunk.count)
                let share = Ring.subtract(Ring.subtract(u, r), r2)
                deMine.replaceSubrange(chunk, with: share)
                deNext.replaceSubrange(chunk, with: r)
                toPrevious = share
                if self.verification != nil {
                    // My message (a): d_{c+1}·b_{c+2} − r − r2 − share = 0; of c+2's (b) I hold b_{c+2}, r2.
                    mineA = (Array(dMine[chunk]), Array(e[chunk]), Ring.negate(Ring.add(Ring.add(r, r2), share)))
                    ofNextB = (nil, Array(e[chunk]), r2)
                }
            default:
                let v = Ring.multiply(Array(dNext[chunk]), Array(e[chunk]))
                let r = self.withPrevious.words(chunk.count)
                let r2 = self.withPrevious.words(chunk.count)
                let share = Ring.add(v, r2)
                deMine.replaceSubrange(chunk, with: r)
                deNext.replaceSubrange(chunk, with: share)
                toNext = share
                if self.verification != nil {
                    // My message (b): masked·b_{c+2} + r2 − share = 0; of c+1's (a) I hold b_{c+2}, r, r2.
                    mineB = (Array(dNext[chunk]), Array(e[chunk]), Ring.subtract(r2, share))
                    ofPreviousA = (nil, Array(e[chunk]), Ring.negate(Ring.add(r, r2)))
                }
            }
        }
        let second = try await self.exchange(toPrevious: toPrevious, toNext: toNext, fromPrevious: true, fromNext: true)
        let chunk = chunks[owned]
        let fromPrevious = try self.expect(second.previous, count: chunk.count, from: self.previous)
        let fromNext = try self.expect(second.next, count: chunk.count, from: self.next)
        deMine.replaceSubrange(chunk, with: fromPrevious)
        deNext.replaceSubrange(chunk, with: fromNext)
        if self.verification != nil {
            // Of c+1's message (a, from next) I hold d_{c+1}; of c+2's (b, from previous) the masked d. Each
            // statement takes (a) before (b), whatever the chunk order, so prover and verifiers line up.
            let ofNextA: Statement = (Array(dNext[chunk]), nil, Ring.negate(fromNext))
            let ofPreviousB: Statement = (Array(dMine[chunk]), nil, Ring.negate(fromPrevious))
            for (role, parts) in [
                (Replicated3.StatementRole.mine, [mineA, mineB]), (.ofNext, [ofNextA, ofNextB]),
                (.ofPrevious, [ofPreviousA, ofPreviousB]),
            ] {
                for case let (a, b, e)? in parts { self.record(role, a: a, b: b, e: e) }
            }
            try await self.verifyIfBatchFull()
        }

        // b = d + e − 2de, with e shared trivially as component c+2.
        var eMine = [UInt64](repeating: 0, count: count)
        var eNext = eMine
        for c in 0..<3 {
            let chunk = chunks[c]
            switch (self.party - c + 3) % 3 {
            case 1: eNext.replaceSubrange(chunk, with: e[chunk])
            case 2: eMine.replaceSubrange(chunk, with: e[chunk])
            default: break
            }
        }
        let d = Replicated3.Share(mine: dMine, next: dNext)
        let de = Replicated3.Share(mine: deMine, next: deNext)
        return d + Replicated3.Share(mine: eMine, next: eNext) - de.scaled(by: 2)
    }
}

extension Replicated3.Engine {
    /// One word of a bit share: this party's two components.
    typealias Word = (mine: UInt64, next: UInt64)

    /// Per span, 1 if any element is negative: sign bits, then `anySet`.
    package mutating func anyNegative(_ x: Replicated3.Share, bits: Int, spans: [Range<Int>]) async throws
        -> Replicated3.Share
    {
        guard spans.allSatisfy({ $0.lowerBound >= 0 && $0.upperBound <= x.count }) else {
            throw MPCError(.invalidArgument, "a span lies outside the vector")
        }
        return try await self.anySet(try await self.signBit(x, bits: bits), spans: spans)
    }

    /// Per span of a plane of XOR-shared bits, 1 if any of its bits is: NOT of the AND of the NOT-ed bits — a halving
    /// tree over the span's words, then 6 levels inside the last word — all spans in the same rounds, and one
    /// conversion per span instead of one per element.
    mutating func anySet(_ negative: Replicated3.Bits, spans: [Range<Int>]) async throws -> Replicated3.Share {
        // Each span's bits from bit 0 of words of its own; the padding is 0, so 1 once inverted (neutral for AND).
        // NOT is carried by component 0: party 0's own and party 2's next.
        let inverted: Word = (self.party == 0 ? UInt64.max : 0, self.party == 2 ? UInt64.max : 0)
        var words: [[Word]] = spans.map { span in
            zip(Self.bits(of: negative.mine, in: span), Self.bits(of: negative.next, in: span)).map {
                ($0 ^ inverted.mine, $1 ^ inverted.next)
            }
        }
        func and(_ pairs: [(Word, Word)]) async throws -> [Word] {
            guard !pairs.isEmpty else { return [] }
            let product = try await self.and(
                Replicated3.Bits(
                    mine: pairs.map(\.0.mine), next: pairs.map(\.0.next), planes: 1, count: 64 * pairs.count),
                Replicated3.Bits(
                    mine: pairs.map(\.1.mine), next: pairs.map(\.1.next), planes: 1, count: 64 * pairs.count))
            return zip(product.mine, product.next).map { ($0, $1) }
        }
        while words.contains(where: { $0.count > 1 }) {
            let halves = words.map { $0.count / 2 }
            let products = try await and(
                zip(words, halves).flatMap { span, half in (0..<half).map { (span[$0], span[half + $0]) } })
            var next = 0
            words = zip(words, halves).map { span, half in
                defer { next += half }
                return Array(products[next..<(next + half)]) + (span.count % 2 == 1 ? [span[span.count - 1]] : [])
            }
        }
        var last = words.map { $0[0] }
        for shift in [32, 16, 8, 4, 2, 1] as [UInt64] {
            last = try await and(last.map { ($0, (mine: $0.mine >> shift, next: $0.next >> shift)) })
        }
        // Bit 0 of each span's word is AND of its NOT-ed bits; gathered one per span and NOT-ed back.
        var mine = [UInt64](repeating: 0, count: (spans.count + 63) / 64)
        var next = mine
        for (index, word) in last.enumerated() {
            mine[index / 64] |= ((word.mine ^ inverted.mine) & 1) << UInt64(index % 64)
            next[index / 64] |= ((word.next ^ inverted.next) & 1) << UInt64(index % 64)
        }
        return try await self.bitToArithmetic(Replicated3.Bits(mine: mine, next: next, planes: 1, count: spans.count))
    }

    /// Bits `span` of the bit-sliced words (element e at bit e mod 64 of word e / 64), from bit 0 of words of their
    /// own, the bits past the span 0; at least one word.
    static func bits(of words: [UInt64], in span: Range<Int>) -> [UInt64] {
        let count = max(1, (span.count + 63) / 64)
        let shift = UInt64(span.lowerBound % 64)
        let first = span.lowerBound / 64
        var result = (0..<count).map { w -> UInt64 in
            guard first + w < words.count, w * 64 < span.count else { return 0 }
            let low = words[first + w] >> shift
            let high = shift == 0 || first + w + 1 >= words.count ? 0 : words[first + w + 1] << (64 - shift)
            return low | high
        }
        if span.count % 64 != 0 { result[count - 1] &= (UInt64(1) << UInt64(span.count % 64)) - 1 }
        if span.isEmpty { result[0] = 0 }
        return result
    }
}
