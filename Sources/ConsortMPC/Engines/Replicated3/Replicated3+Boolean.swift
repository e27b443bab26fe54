extension Replicated3.Engine {
    /// AND of two bit shares of the same shape: one round, one bit per party per AND gate.
    package mutating func and(_ x: Replicated3.Bits, _ y: Replicated3.Bits) async throws -> Replicated3.Bits {
        guard x.mine.count == y.mine.count else {
            throw MPCError(.invalidArgument, "AND of bit vectors of different shapes")
        }
        let count = x.mine.count
        let previousStream = self.withPrevious.words(count)
        let nextStream = self.withNext.words(count)
        let alpha = Ring.xor(previousStream, nextStream)
        var z = [UInt64](unsafeUninitializedCapacity: count) { out, initialised in
            x.mine.withUnsafeBufferPointer { xa in
                x.next.withUnsafeBufferPointer { xb in
                    y.mine.withUnsafeBufferPointer { ya in
                        y.next.withUnsafeBufferPointer { yb in
                            alpha.withUnsafeBufferPointer { a in
                                for i in 0..<count {
                                    out[i] = (xa[i] & ya[i]) ^ (xa[i] & yb[i]) ^ (xb[i] & ya[i]) ^ a[i]
                                }
                            }
                        }
                    }
                }
            }
            initialised = count
        }
        if self.deviates(.wrongAnd) { z[0] ^= 1 }
        let received = try await self.exchange(toPrevious: z, fromNext: true)
        let product = Replicated3.Bits(
            mine: z, next: try self.expect(received.next, count: count, from: self.next),
            planes: x.planes, count: x.count)
        // Only the batch size is read here: a copy of the verification state held across the loop would share the
        // statements' buffers, and every append below would copy them whole.
        if let batchTerms = self.verification?.batchTerms {
            // In slices, so a large call never holds more than about a batch of expanded terms.
            let sliceWords = max(1, batchTerms / 64)
            for start in stride(from: 0, to: count, by: sliceWords) {
                self.recordAnd(
                    words: start..<min(count, start + sliceWords), x: x, y: y, previousStream: previousStream,
                    nextStream: nextStream, sent: z, received: product.next)
                try await self.verifyIfBatchFull()
            }
        }
        return product
    }

    /// Reveals bit planes to the computing parties (one round).
    package mutating func openBits(_ x: Replicated3.Bits) async throws -> [UInt64] {
        if self.verification != nil { return try await self.checkedOpenBits(x) }
        let received = try await self.exchange(toNext: x.mine, fromPrevious: true)
        let missing = try self.expect(received.previous, count: x.mine.count, from: self.previous)
        return Ring.xor(Ring.xor(x.mine, x.next), missing)
    }

    /// XOR-sharings of the two addends of x = a + b (mod 2^64), bit-sliced, low `bits` bits.
    ///
    /// In each third of the vector (rotated so every party does the same work), party c knows a = x_c + x_{c+1} and
    /// parties c+1, c+2 know b = x_{c+2}. Party c shares a with one message to party c+2 (component c+1 comes from
    /// their common PRG key, component c+2 is zero); b is shared trivially. With `negateB`, b is replaced by −b.
    /// With `highBits` = m, party c also shares a >> m as an arithmetic value in the same message, and the result
    /// carries the arithmetic shares of a >> m and b >> m (for exact truncation).
    mutating func splitAddends(
        _ x: Replicated3.Share,
        bits: Int,
        negateB: Bool = false,
        highBits: Int? = nil
    ) async throws -> (a: Replicated3.Bits, b: Replicated3.Bits, aHigh: Replicated3.Share?, bHigh: Replicated3.Share?) {
        precondition((1...64).contains(bits))
        let count = x.count
        let words = (count + 63) / 64
        let chunks = Self.chunks(count)
        var aMine = [UInt64](repeating: 0, count: bits * words)
        var aNext = aMine
        var bMine = aMine
        var bNext = aMine
        var aHighMine = [UInt64](repeating: 0, count: highBits == nil ? 0 : count)
        var aHighNext = aHighMine
        var bHighMine = aHighMine
        var bHighNext = aHighMine
        var outgoing: [UInt64] = []
        var incomingChunk = 0
        func place(_ planes: [UInt64], into target: inout [UInt64], chunk: Range<Int>) {
            let first = chunk.lowerBound / 64
            let chunkWords = (chunk.count + 63) / 64
            for plane in 0..<bits {
                for w in 0..<chunkWords { target[plane * words + first + w] = planes[plane * chunkWords + w] }
            }
        }
        for c in 0..<3 {
            let chunk = chunks[c]
            let chunkWords = (chunk.count + 63) / 64
            switch (self.party - c + 3) % 3 {
            case 0:
                let a = Ring.add(Array(x.mine[chunk]), Array(x.next[chunk]))
                let random = self.withNext.words(bits * chunkWords)
                let aPlanes = BitMatrix.planes(a, bits: bits)
                var masked = Ring.xor(aPlanes, random)
                if !masked.isEmpty && self.deviates(.wrongBits) { masked[0] ^= 1 }
                place(masked, into: &aMine, chunk: chunk)
                place(random, into: &aNext, chunk: chunk)
                outgoing = masked
                var highParts: (masked: [UInt64], random: [UInt64])? = nil
                if let m = highBits {
                    let high = a.map { $0 >> UInt64(m) }
                    let r = self.withNext.words(chunk.count)
                    let maskedHigh = Ring.subtract(high, r)
                    aHighMine.replaceSubrange(chunk, with: maskedHigh)
                    aHighNext.replaceSubrange(chunk, with: r)
                    outgoing += maskedHigh
                    highParts = (maskedHigh, r)
                }
                if self.verification != nil {
                    // The carries of x_c + x_{c+1}, shared as C' (our key) ⊕ C'' (sent): the proof needs them. The
                    // carry into bit j is bit j of a ⊕ x_c ⊕ x_{c+1}, so its planes are those of a, x_c and x_{c+1}
                    // XORed (the statement needs the latter two anyway), from plane 1 on.
                    let (xPlanes, yPlanes) = (
                        BitMatrix.planes(Array(x.mine[chunk]), bits: bits),
                        BitMatrix.planes(Array(x.next[chunk]), bits: bits)
                    )
                    let planes = (chunkWords..<(bits * chunkWords)).map { aPlanes[$0] ^ xPlanes[$0] ^ yPlanes[$0] }
                    var sentCarries = Ring.xor(planes, self.withNext.words(planes.count))
                    if !sentCarries.isEmpty && self.deviates(.wrongCarries) { sentCarries[0] ^= 1 }
                    outgoing += sentCarries
                    self.recordSplit(
                        .mine, count: chunk.count, bits: bits, masked: masked, random: random, xPlanes: xPlanes,
                        yPlanes: yPlanes, carries: planes, high: highBits, maskedHigh: highParts?.masked,
                        randomHigh: highParts?.random)
                }
            case 1:
                let random = self.withPrevious.words(bits * chunkWords)
                place(random, into: &aMine, chunk: chunk)
                var b = Array(x.next[chunk])
                if negateB { b = Ring.negate(b) }
                place(BitMatrix.planes(b, bits: bits), into: &bNext, chunk: chunk)
                var randomHigh: [UInt64]? = nil
                if let m = highBits {
                    let r = self.withPrevious.words(chunk.count)
                    aHighMine.replaceSubrange(chunk, with: r)
                    bHighNext.replaceSubrange(chunk, with: b.map { $0 >> UInt64(m) })
                    randomHigh = r
                }
                if self.verification != nil {
                    self.recordSplit(
                        .ofPrevious, count: chunk.count, bits: bits, masked: nil, random: random, xPlanes: nil,
                        yPlanes: BitMatrix.planes(Array(x.mine[chunk]), bits: bits),
                        carries: self.withPrevious.words((bits - 1) * chunkWords), high: highBits, maskedHigh: nil,
                        randomHigh: randomHigh)
                }
            default:
                var b = Array(x.mine[chunk])
                if negateB { b = Ring.negate(b) }
                place(BitMatrix.planes(b, bits: bits), into: &bMine, chunk: chunk)
                if let m = highBits { bHighMine.replaceSubrange(chunk, with: b.map { $0 >> UInt64(m) }) }
                incomingChunk = c
            }
        }
        let received = try await self.exchange(toPrevious: outgoing, fromNext: true)
        let chunk = chunks[incomingChunk]
        let chunkWords = (chunk.count + 63) / 64
        let highEnd = bits * chunkWords + (highBits == nil ? 0 : chunk.count)
        let carryWords = self.verification == nil ? 0 : (bits - 1) * chunkWords
        let message = try self.expect(received.next, count: highEnd + carryWords, from: self.next)
        place(Array(message[0..<bits * chunkWords]), into: &aNext, chunk: chunk)
        if highBits != nil { aHighNext.replaceSubrange(chunk, with: message[(bits * chunkWords)..<highEnd]) }
        if self.verification != nil {
            self.recordSplit(
                .ofNext, count: chunk.count, bits: bits, masked: Array(message[0..<bits * chunkWords]), random: nil,
                xPlanes: BitMatrix.planes(Array(x.next[chunk]), bits: bits), yPlanes: nil,
                carries: Array(message[highEnd...]), high: highBits,
                maskedHigh: highBits == nil ? nil : Array(message[(bits * chunkWords)..<highEnd]), randomHigh: nil)
            try await self.verifyIfBatchFull()
        }
        let a = Replicated3.Bits(mine: aMine, next: aNext, planes: bits, count: count)
        let b = Replicated3.Bits(mine: bMine, next: bNext, planes: bits, count: count)
        guard highBits != nil else { return (a, b, nil, nil) }
        return (
            a, b, Replicated3.Share(mine: aHighMine, next: aHighNext),
            Replicated3.Share(mine: bHighMine, next: bHighNext)
        )
    }

    /// Carries into bit positions `targets` of a + b, given g = a∧b and p = a⊕b planes 0..<max(targets): one
    /// log-depth tree per target (Brent–Kung prefix on a single output), all trees advancing in the same rounds.
    mutating func carries(generate g: Replicated3.Bits, propagate p: Replicated3.Bits, into targets: [Int]) async throws
        -> [Replicated3.Bits]
    {
        // A segment is the (generate, propagate) pair of a run of bits; the lowest run's propagate is never needed.
        struct Segment {
            var generate: Replicated3.Bits
            var propagate: Replicated3.Bits?
        }
        var trees: [[Segment]] = targets.map { target in
            (0..<target).map { Segment(generate: g.plane($0), propagate: $0 == 0 ? nil : p.plane($0)) }
        }
        while trees.contains(where: { $0.count > 1 }) {
            var left: [Replicated3.Bits] = []
            var right: [Replicated3.Bits] = []
            for tree in trees {
                for pair in stride(from: 0, to: tree.count - 1, by: 2) {
                    let low = tree[pair]
                    let high = tree[pair + 1]
                    left.append(high.propagate!)
                    right.append(low.generate)
                    if let lowPropagate = low.propagate {
                        left.append(high.propagate!)
                        right.append(lowPropagate)
                    }
                }
            }
            let products = try await self.and(.stack(left), .stack(right)).unstack()
            var next = 0
            trees = trees.map { tree in
                var merged: [Segment] = []
                for pair in stride(from: 0, to: tree.count - 1, by: 2) {
                    let low = tree[pair]
                    let high = tree[pair + 1]
                    let generate = high.generate ^ products[next]
                    next += 1
                    var propagate: Replicated3.Bits? = nil
                    if low.propagate != nil {
                        propagate = products[next]
                        next += 1
                    }
                    merged.append(Segment(generate: generate, propagate: propagate))
                }
                if tree.count % 2 == 1 { merged.append(tree[tree.count - 1]) }
                return merged
            }
        }
        return trees.map { $0[0].generate }
    }

    /// AND of all planes of `x` (a log-depth tree): one plane.
    mutating func andReduce(_ x: Replicated3.Bits) async throws -> Replicated3.Bits {
        var planes = x.unstack()
        while planes.count > 1 {
            let pairs = planes.count / 2
            let products = try await self.and(
                .stack(Array(planes[0..<pairs])), .stack(Array(planes[pairs..<2 * pairs]))
            ).unstack()
            planes = products + (planes.count % 2 == 1 ? [planes[planes.count - 1]] : [])
        }
        return planes[0]
    }
}
