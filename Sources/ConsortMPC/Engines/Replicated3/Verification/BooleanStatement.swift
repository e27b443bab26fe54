/// One side's share of a batch of AND gates to prove (`Specs/engines.md` §3): per gate, a·b + e = 0 over GF(2), with
/// a, b, e bit-sliced 64 gates to a word and XOR-shared between the two verifiers (the prover holds all). Padding gates
/// are zero, which hold.
struct BooleanStatement: Sendable {
    var a: [UInt64] = []
    var b: [UInt64] = []
    var e: [UInt64] = []

    var gates: Int { 64 * self.e.count }

    mutating func append<A: Collection<UInt64>, B: Collection<UInt64>, E: Collection<UInt64>>(a: A, b: B, e: E) {
        precondition(a.count == e.count && b.count == e.count)
        self.a.append(contentsOf: a)
        self.b.append(contentsOf: b)
        self.e.append(contentsOf: e)
    }
}
