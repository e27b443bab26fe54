extension Replicated3.Engine {
    /// Elementwise product: one round, one ring element sent per party per product.
    ///
    /// zᵢ = xᵢyᵢ + xᵢyᵢ₊₁ + xᵢ₊₁yᵢ + αᵢ is a 3-out-of-3 sharing of xy; sending zᵢ to party i−1 makes it replicated.
    package mutating func multiply(_ x: Replicated3.Share, _ y: Replicated3.Share) async throws -> Replicated3.Share {
        guard x.count == y.count else {
            throw MPCError(.invalidArgument, "multiply: vectors of \(x.count) and \(y.count) elements")
        }
        let count = x.count
        // α = F(Kᵢ) − F(Kᵢ₊₁), added in the loop; an actively secure session keeps both streams for its proofs.
        let previousStream = self.withPrevious.words(count)
        let nextStream = self.withNext.words(count)
        var z = [UInt64](unsafeUninitializedCapacity: count) { out, initialised in
            x.mine.withUnsafeBufferPointer { xa in
                x.next.withUnsafeBufferPointer { xb in
                    y.mine.withUnsafeBufferPointer { ya in
                        y.next.withUnsafeBufferPointer { yb in
                            previousStream.withUnsafeBufferPointer { p in
                                nextStream.withUnsafeBufferPointer { n in
                                    for i in 0..<count {
                                        out[i] = xa[i] &* ya[i] &+ xa[i] &* yb[i] &+ xb[i] &* ya[i] &+ p[i] &- n[i]
                                    }
                                }
                            }
                        }
                    }
                }
            }
            initialised = count
        }
        if self.deviates(.wrongProduct) { z[0] &+= 1 << 17 }
        let received = try await self.exchange(toPrevious: z, fromNext: true)
        let product = Replicated3.Share(mine: z, next: try self.expect(received.next, count: count, from: self.next))
        if self.verification != nil {
            self.recordProducts(
                xMine: x.mine, xNext: x.next, yMine: y.mine, yNext: y.next, termsPerGate: 1,
                previousStream: previousStream, nextStream: nextStream, sent: z, received: product.next)
            try await self.verifyIfBatchFull()
        }
        return product
    }

    /// Σₖ xₖyₖ for each of `pairs`: one round and one ring element per party per inner product, whatever the length.
    package mutating func innerProducts(_ pairs: [(Replicated3.Share, Replicated3.Share)]) async throws
        -> Replicated3.Share
    {
        let previousStream = self.withPrevious.words(pairs.count)
        let nextStream = self.withNext.words(pairs.count)
        let alpha = Ring.subtract(previousStream, nextStream)
        var z = [UInt64](repeating: 0, count: pairs.count)
        for (index, (x, y)) in pairs.enumerated() {
            guard x.count == y.count else {
                throw MPCError(.invalidArgument, "inner product of vectors of different lengths")
            }
            z[index] = Self.crossTerms(x, y) &+ alpha[index]
        }
        let received = try await self.exchange(toPrevious: z, fromNext: true)
        let products = Replicated3.Share(
            mine: z, next: try self.expect(received.next, count: pairs.count, from: self.next))
        if self.verification != nil {
            // Pairs of one length form one run of gates; a statement takes runs of equal-length gates.
            var start = 0
            while start < pairs.count {
                let length = pairs[start].0.count
                var end = start
                while end < pairs.count && pairs[end].0.count == length { end += 1 }
                let run = pairs[start..<end]
                self.recordProducts(
                    xMine: run.flatMap(\.0.mine), xNext: run.flatMap(\.0.next), yMine: run.flatMap(\.1.mine),
                    yNext: run.flatMap(\.1.next), termsPerGate: length,
                    previousStream: Array(previousStream[start..<end]), nextStream: Array(nextStream[start..<end]),
                    sent: Array(z[start..<end]), received: Array(products.next[start..<end]))
                start = end
            }
            try await self.verifyIfBatchFull()
        }
        return products
    }

    /// ⟨rows[i], columns[j]⟩ for every i and j, at i · C + j: one round and one ring element per party per pair, as
    /// `innerProducts`; an actively secure session records them as one table (`ProductStatement.Table`), whose proof
    /// folds R + C vectors instead of 2·R·C.
    package mutating func innerProducts(rows: [Replicated3.Share], columns: [Replicated3.Share]) async throws
        -> Replicated3.Share
    {
        let length = rows.first?.count ?? 0
        guard (rows + columns).allSatisfy({ $0.count == length }) else {
            throw MPCError(.invalidArgument, "inner products of vectors of different lengths")
        }
        let count = rows.count * columns.count
        guard count > 0 else { return Replicated3.Share(mine: [], next: []) }
        let previousStream = self.withPrevious.words(count)
        let nextStream = self.withNext.words(count)
        var z = [UInt64](repeating: 0, count: count)
        for (i, x) in rows.enumerated() {
            for (j, y) in columns.enumerated() {
                let index = i * columns.count + j
                z[index] = Self.crossTerms(x, y) &+ previousStream[index] &- nextStream[index]
            }
        }
        if self.deviates(.wrongProduct) { z[0] &+= 1 << 17 }
        let received = try await self.exchange(toPrevious: z, fromNext: true)
        let products = Replicated3.Share(mine: z, next: try self.expect(received.next, count: count, from: self.next))
        if self.verification != nil {
            self.recordTable(
                rows: rows, columns: columns, previousStream: previousStream, nextStream: nextStream, sent: z,
                received: products.next)
            try await self.verifyIfBatchFull()
        }
        return products
    }

    /// Σₖ xᵢyᵢ + xᵢyᵢ₊₁ + xᵢ₊₁yᵢ: this party's part of ⟨x, y⟩ before its random mask.
    static func crossTerms(_ x: Replicated3.Share, _ y: Replicated3.Share) -> UInt64 {
        var sum: UInt64 = 0
        x.mine.withUnsafeBufferPointer { xa in
            x.next.withUnsafeBufferPointer { xb in
                y.mine.withUnsafeBufferPointer { ya in
                    y.next.withUnsafeBufferPointer { yb in
                        for i in 0..<xa.count { sum = sum &+ xa[i] &* ya[i] &+ xa[i] &* yb[i] &+ xb[i] &* ya[i] }
                    }
                }
            }
        }
        return sum
    }

    /// Reveals `x` to the three computing parties: each sends its first component to the next party.
    package mutating func open(_ x: Replicated3.Share) async throws -> [Int64] {
        let received = try await self.exchange(toNext: x.mine, fromPrevious: true)
        let missing = try self.expect(received.previous, count: x.count, from: self.previous)
        return Ring.add(Ring.add(x.mine, x.next), missing).map { Int64(bitPattern: $0) }
    }

    /// Shares of values this party knows in full (an input party co-located with a computing party, or a public
    /// vector given by party 0): party `owner` provides `values`, the others pass nil. One round, from the owner only.
    package mutating func input(_ values: [Int64]?, from owner: Int, count: Int) async throws -> Replicated3.Share {
        try await self.input(words: values?.map { UInt64(bitPattern: $0) }, from: owner, count: count)
    }

    /// `input` for ring words.
    package mutating func input(words values: [UInt64]?, from owner: Int, count: Int) async throws -> Replicated3.Share
    {
        // Component owner+1 comes from K(owner+1), shared by owner and owner+1; component owner+2 is zero; the owner
        // sends component owner (the value minus the random part) to owner+2, its previous party.
        if self.party == owner {
            guard let values, values.count == count else {
                throw MPCError(.invalidArgument, "input: owner must give \(count) values")
            }
            let random = self.withNext.words(count)
            let masked = Ring.subtract(values, random)
            _ = try await self.exchange(toPrevious: masked)
            return Replicated3.Share(mine: masked, next: random)
        } else if self.party == Replicated3.next(owner) {
            let random = self.withPrevious.words(count)
            _ = try await self.exchange()
            return Replicated3.Share(mine: random, next: [UInt64](repeating: 0, count: count))
        } else {
            let received = try await self.exchange(fromNext: true)
            return Replicated3.Share(
                mine: [UInt64](repeating: 0, count: count),
                next: try self.expect(received.next, count: count, from: self.next))
        }
    }
}
