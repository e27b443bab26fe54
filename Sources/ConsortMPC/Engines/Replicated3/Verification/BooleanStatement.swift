/// One side's share of a batch of AND gates to prove (`Specs/engines.md` §3): per gate, a·b + e = 0 over GF(2), with
/// a, b, e bit-sliced 64 gates to a word and XOR-shared between the two verifiers (the prover holds all). Padding gates
/// are zero, which hold.
///
/// Gates whose a and b are zero (a linear relation, e = 0) keep only their e, in `linear`: they enter the claim like
/// any other gate, with weights of their own, but add nothing to the proof's polynomial, so the first round and the
/// folded vectors skip them.
struct BooleanStatement: Sendable {
    var a: [UInt64] = []
    var b: [UInt64] = []
    var e: [UInt64] = []
    /// e of the words of linear relations.
    var linear: [UInt64] = []

    /// Words the claim weighs: the products', then the linear relations'.
    var words: Int { self.e.count + self.linear.count }
    var gates: Int { 64 * self.words }

    /// Words the first append of either kind makes room for: a session's statements hold a batch, and so its appends
    /// neither copy what came before nor leave freed blocks behind that the next, larger one cannot use.
    let reserve: Int

    init(reserve: Int = 0) { self.reserve = reserve }

    /// A session's statement: room for a whole batch (`Verification.batchGates` gates).
    static func batch() -> BooleanStatement { BooleanStatement(reserve: Replicated3.Verification.batchGates / 64) }

    mutating func append<A: Collection<UInt64>, B: Collection<UInt64>, E: Collection<UInt64>>(a: A, b: B, e: E) {
        precondition(a.count == e.count && b.count == e.count)
        guard !e.isEmpty else { return }
        if self.e.capacity == 0, self.reserve > e.count {
            self.a.reserveCapacity(self.reserve)
            self.b.reserveCapacity(self.reserve)
            self.e.reserveCapacity(self.reserve)
        }
        self.a.append(contentsOf: a)
        self.b.append(contentsOf: b)
        self.e.append(contentsOf: e)
    }

    /// Appends words of linear relations: e = 0 per gate.
    mutating func appendLinear<E: Collection<UInt64>>(e: E) {
        if self.linear.capacity == 0, self.reserve > e.count { self.linear.reserveCapacity(self.reserve) }
        self.linear.append(contentsOf: e)
    }
}
