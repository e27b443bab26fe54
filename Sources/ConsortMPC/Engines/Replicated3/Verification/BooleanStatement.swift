/// One side's share of a batch of AND gates to prove (`Specs/engines.md` §3): per gate, a·b + e = 0 over GF(2), with
/// a, b, e bit-sliced 64 gates to a word and XOR-shared between the two verifiers (the prover holds all). Padding gates
/// are zero, which hold.
struct BooleanStatement: Sendable {
    var a: [UInt64] = []
    var b: [UInt64] = []
    var e: [UInt64] = []

    var gates: Int { 64 * self.e.count }

    mutating func append(a: [UInt64], b: [UInt64], e: [UInt64]) {
        precondition(a.count == e.count && b.count == e.count)
        self.a += a
        self.b += b
        self.e += e
    }
}
