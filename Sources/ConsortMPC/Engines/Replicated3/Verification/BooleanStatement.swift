/// One side's share of a batch of AND gates to prove (`Specs/engines.md` §3): per gate, a·b + e = 0 over GF(2), with
/// a, b, e bit-sliced 64 gates to a word and XOR-shared between the two verifiers (the prover holds all). Padding gates
/// are zero, which hold.
///
/// Gates whose a and b are zero (a linear relation, e = 0) keep only their e, in `linear`: they enter the claim like
/// any other gate, with weights of their own, but add nothing to the proof's polynomial, so the first round and the
/// folded vectors skip them.
///
/// A prover's own statement keeps no e at all (`keepsE` false, only the counts): the claim is its verifiers' to make,
/// and the prover's first round and folds read a and b alone.
struct BooleanStatement: Sendable {
    var a: [UInt64] = []
    var b: [UInt64] = []
    var e: [UInt64] = []
    /// e of the words of linear relations.
    var linear: [UInt64] = []
    /// Words of gates with a product (a, b and e), and of linear relations.
    private(set) var productWords = 0
    private(set) var linearWords = 0
    let keepsE: Bool

    /// Words the claim weighs: the products', then the linear relations'.
    var words: Int { self.productWords + self.linearWords }
    var gates: Int { 64 * self.words }

    /// Words the first append of either kind makes room for: a session's statements hold a batch, and so its appends
    /// neither copy what came before nor leave freed blocks behind that the next, larger one cannot use.
    let reserve: Int

    init(reserve: Int = 0, keepsE: Bool = true) {
        self.reserve = reserve
        self.keepsE = keepsE
    }

    /// A session's statement: room for a whole batch (`Verification.batchGates` gates).
    static func batch(keepsE: Bool = true) -> BooleanStatement {
        BooleanStatement(reserve: Replicated3.Verification.batchGates / 64, keepsE: keepsE)
    }

    /// Appends `count` gate words, word i's a, b and e written by `fill(i, &a, &b, &e)` (e dropped where this
    /// statement keeps none): straight into the statement, without a temporary per call.
    @inline(__always)
    mutating func append(
        words count: Int, _ fill: (Int, inout UInt64, inout UInt64, inout UInt64) -> Void
    ) {
        guard count > 0 else { return }
        if self.a.capacity == 0, self.reserve > count {
            self.a.reserveCapacity(self.reserve)
            self.b.reserveCapacity(self.reserve)
            if self.keepsE { self.e.reserveCapacity(self.reserve) }
        }
        let start = self.productWords
        self.a.append(contentsOf: repeatElement(0, count: count))
        self.b.append(contentsOf: repeatElement(0, count: count))
        if self.keepsE { self.e.append(contentsOf: repeatElement(0, count: count)) }
        let keepsE = self.keepsE
        self.a.withUnsafeMutableBufferPointer { a in
            self.b.withUnsafeMutableBufferPointer { b in
                self.e.withUnsafeMutableBufferPointer { e in
                    var dropped: UInt64 = 0
                    for i in 0..<count {
                        if keepsE {
                            fill(i, &a[start + i], &b[start + i], &e[start + i])
                        } else {
                            fill(i, &a[start + i], &b[start + i], &dropped)
                        }
                    }
                }
            }
        }
        self.productWords += count
    }

    /// Appends words of linear relations: e = 0 per gate, word i's e from `value(i)`.
    @inline(__always)
    mutating func appendLinear(words count: Int, _ value: (Int) -> UInt64) {
        guard count > 0 else { return }
        self.linearWords += count
        guard self.keepsE else { return }
        if self.linear.capacity == 0, self.reserve > count { self.linear.reserveCapacity(self.reserve) }
        let start = self.linear.count
        self.linear.append(contentsOf: repeatElement(0, count: count))
        self.linear.withUnsafeMutableBufferPointer { linear in
            for i in 0..<count { linear[start + i] = value(i) }
        }
    }
}
