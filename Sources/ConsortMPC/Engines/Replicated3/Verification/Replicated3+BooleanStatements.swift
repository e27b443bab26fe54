extension Replicated3 {
    /// Which of a party's three statements a record goes to: its own messages, or its shares as verifier of the
    /// next or the previous party's messages.
    enum StatementRole {
        case mine, ofNext, ofPrevious
    }
}

/// The statements of the boolean steps (`Specs/engines.md` §3): AND gates, one party's local sum shared as bits
/// (`splitAddends`) and the bit-to-arithmetic conversion. Each message is again "Σ a·b + e = 0 over Z_2^64" with a,
/// b, e split between the sender's two neighbours, so one proof system checks everything:
/// - a GF(2) equation scaled by 2^63 is an equation over Z_2^64 (2^63·x ≡ 2^63·(x mod 2)), so XOR-sharing becomes
///   additive sharing and an AND gate one product term;
/// - bits shared by one party recompose, Σ 2^j (mⱼ ⊕ rⱼ) = Σ 2^j (mⱼ + rⱼ − 2mⱼrⱼ), to the arithmetic value the other
///   two parties hold the components of (scaled by 2^(64−bits) when only the low bits are shared).
extension Replicated3.Engine {
    static let parityScale: UInt64 = 1 << 63

    /// Appends gates to one statement; a missing `a` or `b` is zero (the other verifier holds that factor).
    mutating func record(
        _ role: Replicated3.StatementRole, a: [UInt64]?, b: [UInt64]?, e: [UInt64], termsPerGate: Int = 1
    ) {
        guard self.verification != nil, !e.isEmpty else { return }
        let terms = e.count * termsPerGate
        let zeros = [UInt64](repeating: 0, count: terms)
        let (a, b) = (a ?? zeros, b ?? zeros)
        switch role {
        case .mine: self.verification!.mine.append(a: a, b: b, e: e, termsPerGate: termsPerGate)
        case .ofNext: self.verification!.ofNext.append(a: a, b: b, e: e, termsPerGate: termsPerGate)
        case .ofPrevious: self.verification!.ofPrevious.append(a: a, b: b, e: e, termsPerGate: termsPerGate)
        }
    }

    /// Bit `index` of bit-sliced words, as 0 or 1.
    @inline(__always)
    static func bit(_ words: [UInt64], _ index: Int) -> UInt64 { (words[index >> 6] >> UInt64(index & 63)) & 1 }

    /// Records the AND gates of one `and` call: party i sent zᵢ = xᵢyᵢ ⊕ xᵢyᵢ₊₁ ⊕ xᵢ₊₁yᵢ ⊕ P ⊕ N per bit. Scaled by
    /// 2^63: a = xᵢ + xᵢ₊₁, b = 2^63(yᵢ + yᵢ₊₁), e = 2^63(xᵢ₊₁yᵢ₊₁ ⊕ P ⊕ N ⊕ zᵢ); the verifier of i+1 holds
    /// (xᵢ₊₁, 2^63·yᵢ₊₁, 2^63(N ⊕ zᵢ₊₁)), the verifier of i−1 (xᵢ, 2^63·yᵢ, 2^63(xᵢyᵢ ⊕ P)).
    mutating func recordAnd(
        words: Range<Int>, x: Replicated3.Bits, y: Replicated3.Bits, previousStream: [UInt64], nextStream: [UInt64],
        sent: [UInt64], received: [UInt64]
    ) {
        guard self.verification != nil else { return }
        let s = Self.parityScale
        let bits = words.count * 64
        var mineA = [UInt64](repeating: 0, count: bits)
        var mineB = mineA
        var mineE = mineA
        var nextA = mineA
        var nextB = mineA
        var nextE = mineA
        var previousA = mineA
        var previousB = mineA
        var previousE = mineA
        for w in words {
            let (xm, xn, ym, yn) = (x.mine[w], x.next[w], y.mine[w], y.next[w])
            let mineParity = (xn & yn) ^ previousStream[w] ^ nextStream[w] ^ sent[w]
            let nextParity = nextStream[w] ^ received[w]
            let previousParity = (xm & ym) ^ previousStream[w]
            for i in 0..<64 {
                let t = (w - words.lowerBound) * 64 + i
                let shift = UInt64(i)
                mineA[t] = (xm >> shift & 1) &+ (xn >> shift & 1)
                mineB[t] = s &* ((ym >> shift & 1) &+ (yn >> shift & 1))
                mineE[t] = s &* (mineParity >> shift & 1)
                nextA[t] = xn >> shift & 1
                nextB[t] = s &* (yn >> shift & 1)
                nextE[t] = s &* (nextParity >> shift & 1)
                previousA[t] = xm >> shift & 1
                previousB[t] = s &* (ym >> shift & 1)
                previousE[t] = s &* (previousParity >> shift & 1)
            }
        }
        self.record(.mine, a: mineA, b: mineB, e: mineE)
        self.record(.ofNext, a: nextA, b: nextB, e: nextE)
        self.record(.ofPrevious, a: previousA, b: previousB, e: previousE)
    }

    /// Records one chunk of `splitAddends`: party c shared the low `bits` bits of a = x_c + x_{c+1} as planes
    /// m ⊕ r (m sent to c+2, r from the key c shares with c+1), and with `high` also a >> high as h + r_h.
    /// Per element one gate of `bits` terms: a = mⱼ, b = −2^(j+1+64−bits)·rⱼ, e = 2^(64−bits)(Σ 2^j(mⱼ + rⱼ) − a);
    /// and one of 64 − high terms for the high part: a = mⱼ, b = 2^(j−high+1)·rⱼ, e = h + r_h − Σ 2^(j−high)(mⱼ + rⱼ).
    /// The sender has everything; party c+2 (its verifier on the receiving side) m, h and x_c; party c+1 r, r_h and
    /// x_{c+1}. `sum` is the part of a this role holds; absent parts are nil.
    mutating func recordSplit(
        _ role: Replicated3.StatementRole, count: Int, bits: Int, masked: [UInt64]?, random: [UInt64]?,
        sum: [UInt64], high: Int?, maskedHigh: [UInt64]?, randomHigh: [UInt64]?
    ) {
        guard self.verification != nil, count > 0 else { return }
        let words = (count + 63) / 64
        let scale = UInt64(1) << UInt64(64 - bits)
        var a = [UInt64](repeating: 0, count: count * bits)
        var b = a
        var e = [UInt64](repeating: 0, count: count)
        for element in 0..<count {
            var total: UInt64 = 0
            for j in 0..<bits {
                let m = masked.map { Self.bit($0, j * words * 64 + element) } ?? 0
                let r = random.map { Self.bit($0, j * words * 64 + element) } ?? 0
                let t = element * bits + j
                a[t] = m
                let coefficient = j + 1 + 64 - bits < 64 ? 0 &- (UInt64(1) << UInt64(j + 1 + 64 - bits)) : 0
                b[t] = coefficient &* r
                total = total &+ ((m &+ r) << UInt64(j))
            }
            e[element] = scale &* (total &- sum[element])
        }
        self.record(role, a: a, b: b, e: e, termsPerGate: bits)
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
