extension Replicated3 {
    /// Which of a party's three statements a record goes to: its own messages, or its shares as verifier of the
    /// next or the previous party's messages.
    enum StatementRole {
        case mine, ofNext, ofPrevious
    }
}

/// The statements of the boolean steps (`Specs/engines.md` §3): AND gates, one party's local sum shared as bits
/// (`splitAddends`) and the bit-to-arithmetic conversion, each with its parts split between the sender's two
/// neighbours:
/// - an AND gate is a·b ⊕ e = 0 over GF(2), proved by `BooleanProof` over GF(2^64) straight from bit-sliced words;
/// - bits shared by one party recompose, Σ 2^j (mⱼ ⊕ rⱼ) = Σ 2^j (mⱼ + rⱼ − 2mⱼrⱼ), to the arithmetic value the other
///   two parties hold the components of (scaled by 2^(64−bits) when only the low bits are shared).
extension Replicated3.Engine {
    /// Appends gates to one statement; a missing `a` or `b` is zero (the other verifier holds that factor).
    mutating func record(
        _ role: Replicated3.StatementRole, a: [UInt64]?, b: [UInt64]?, e: [UInt64], termsPerGate: Int = 1
    ) {
        guard self.verification != nil, !e.isEmpty else { return }
        let terms = e.count * termsPerGate
        let zeros = [UInt64](repeating: 0, count: terms)
        let (a, b) = (a ?? zeros, b ?? zeros)
        let reserve = self.verification!.batchTerms
        switch role {
        case .mine: self.verification!.mine.append(a: a, b: b, e: e, termsPerGate: termsPerGate, reserve: reserve)
        case .ofNext: self.verification!.ofNext.append(a: a, b: b, e: e, termsPerGate: termsPerGate, reserve: reserve)
        case .ofPrevious:
            self.verification!.ofPrevious.append(a: a, b: b, e: e, termsPerGate: termsPerGate, reserve: reserve)
        }
    }

    /// Runs `body` on one of the session's AND-gate statements in place.
    private mutating func modifyAndStatement(
        _ role: Replicated3.StatementRole, _ body: (inout BooleanStatement) -> Void
    ) {
        switch role {
        case .mine: body(&self.verification!.andMine)
        case .ofNext: body(&self.verification!.andOfNext)
        case .ofPrevious: body(&self.verification!.andOfPrevious)
        }
    }

    /// Bit `index` of bit-sliced words, as 0 or 1.
    @inline(__always)
    static func bit(_ words: [UInt64], _ index: Int) -> UInt64 { (words[index >> 6] >> UInt64(index & 63)) & 1 }

    /// Records the AND gates of one `and` call: party i sent zᵢ = xᵢyᵢ ⊕ xᵢyᵢ₊₁ ⊕ xᵢ₊₁yᵢ ⊕ P ⊕ N per bit, so
    /// a = xᵢ ⊕ xᵢ₊₁, b = yᵢ ⊕ yᵢ₊₁, e = xᵢ₊₁yᵢ₊₁ ⊕ P ⊕ N ⊕ zᵢ with a·b ⊕ e = 0 over GF(2); the verifier of i+1 holds
    /// (xᵢ₊₁, yᵢ₊₁, N ⊕ zᵢ₊₁), the verifier of i−1 (xᵢ, yᵢ, xᵢyᵢ ⊕ P). Bit-sliced words go to `BooleanProof` as they are.
    mutating func recordAnd(
        words: Range<Int>, x: Replicated3.Bits, y: Replicated3.Bits, previousStream: [UInt64], nextStream: [UInt64],
        sent: [UInt64], received: [UInt64]
    ) {
        guard self.verification != nil, !words.isEmpty else { return }
        // Straight into the statements, one pass each, no temporary arrays.
        let first = words.lowerBound
        x.mine.withUnsafeBufferPointer { xm in
            x.next.withUnsafeBufferPointer { xn in
                y.mine.withUnsafeBufferPointer { ym in
                    y.next.withUnsafeBufferPointer { yn in
                        previousStream.withUnsafeBufferPointer { p in
                            nextStream.withUnsafeBufferPointer { n in
                                sent.withUnsafeBufferPointer { z in
                                    received.withUnsafeBufferPointer { zNext in
                                        self.verification!.andMine.append(words: words.count) { k, a, b, e in
                                            let i = first + k
                                            a = xm[i] ^ xn[i]
                                            b = ym[i] ^ yn[i]
                                            e = (xn[i] & yn[i]) ^ p[i] ^ n[i] ^ z[i]
                                        }
                                        self.verification!.andOfNext.append(words: words.count) { k, a, b, e in
                                            let i = first + k
                                            (a, b, e) = (xn[i], yn[i], n[i] ^ zNext[i])
                                        }
                                        self.verification!.andOfPrevious.append(words: words.count) { k, a, b, e in
                                            let i = first + k
                                            (a, b, e) = (xm[i], ym[i], (xm[i] & ym[i]) ^ p[i])
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Records one chunk of `splitAddends`: party c shared the low `bits` bits of a = X + Y (X = x_c, Y = x_{c+1}) as
    /// planes m ⊕ r (m sent to c+2, r from the key c shares with c+1), and — in an actively secure session — the carries
    /// C of that addition as C' ⊕ C'' (C' from the same key, C'' sent with m; C_0 = 0 is public). As AND-gate statements
    /// over GF(2), per plane j: mⱼ ⊕ rⱼ ⊕ Xⱼ ⊕ Yⱼ ⊕ Cⱼ = 0, and for j < bits − 1 the carry
    /// (Xⱼ ⊕ Cⱼ)(Yⱼ ⊕ Cⱼ) ⊕ Cⱼ ⊕ Cⱼ₊₁ = 0 (majority), which fixes C to the true carries. Party c+2 holds m, X and C'';
    /// party c+1 holds r, Y and C'; the sender everything. With `high`, also a >> high as h + r_h, a ring statement of
    /// 64 − high terms per element: a = mⱼ, b = 2^(j−high+1)·rⱼ, e = h + r_h − Σ 2^(j−high)(mⱼ + rⱼ). X and Y come
    /// as their bit planes (`BitMatrix.planes`), which the sender also uses for the carries.
    mutating func recordSplit(
        _ role: Replicated3.StatementRole, count: Int, bits: Int, masked: [UInt64]?, random: [UInt64]?,
        xPlanes: [UInt64]?, yPlanes: [UInt64]?, carries: [UInt64]?, high: Int?, maskedHigh: [UInt64]?,
        randomHigh: [UInt64]?
    ) {
        guard self.verification != nil, count > 0 else { return }
        let words = (count + 63) / 64
        // Word w of plane j of planes this side holds (0 where it holds none), and of the carries (C₀ = 0).
        func word(_ planes: [UInt64]?, _ j: Int, _ w: Int) -> UInt64 { planes?[j * words + w] ?? 0 }
        func carry(_ j: Int, _ w: Int) -> UInt64 { j == 0 ? 0 : word(carries, j - 1, w) }
        // Straight into the session's statement, plane by plane: no temporary statement, no per-plane arrays.
        self.modifyAndStatement(role) { statement in
            for j in 0..<bits {
                statement.appendLinear(words: words) { w in
                    word(masked, j, w) ^ word(random, j, w) ^ word(xPlanes, j, w) ^ word(yPlanes, j, w) ^ carry(j, w)
                }
                guard j < bits - 1 else { continue }
                statement.append(words: words) { w, a, b, e in
                    let c = carry(j, w)
                    (a, b, e) = (word(xPlanes, j, w) ^ c, word(yPlanes, j, w) ^ c, c ^ carry(j + 1, w))
                }
            }
        }
        guard let high else { return }
        let terms = 64 - high
        var highA = [UInt64](repeating: 0, count: count * terms)
        var highB = highA
        var highE = [UInt64](repeating: 0, count: count)
        for element in 0..<count {
            var total: UInt64 = 0
            for j in high..<64 {
                let m = masked.map { Self.bit($0, j * words * 64 + element) } ?? 0
                let r = random.map { Self.bit($0, j * words * 64 + element) } ?? 0
                let t = element * terms + (j - high)
                highA[t] = m
                highB[t] = (UInt64(1) << UInt64(j - high + 1)) &* r
                total = total &+ ((m &+ r) << UInt64(j - high))
            }
            highE[element] = (maskedHigh?[element] ?? 0) &+ (randomHigh?[element] ?? 0) &- total
        }
        self.record(role, a: highA, b: highB, e: highE, termsPerGate: terms)
    }
}
