/// One side of what a party's multiplication messages must satisfy: for every gate g,
/// Σ_{k ∈ g} a_k·b_k + e_g = 0 over Z_2^64 — a multiplication is a gate of one term, an inner product a gate of as
/// many terms as the vectors are long.
///
/// The prover knows a, b and e in full; each of its two verifiers holds an additive share of them (`Specs/engines.md`,
/// §3), so the verifiers can check the statement together without either learning the prover's secrets.
struct ProductStatement: Sendable {
    /// Terms, in order.
    var a: [UInt64] = []
    var b: [UInt64] = []
    /// One constant per gate.
    var e: [UInt64] = []
    /// Runs of gates with the same number of terms: (gates, terms per gate).
    private(set) var layout: [(gates: Int, terms: Int)] = []

    var terms: Int { self.a.count }
    var gates: Int { self.e.count }

    /// Appends `count` gates of `terms` terms each: `a` and `b` hold count · terms values, `e` holds count. The first
    /// append makes room for `reserve` terms, so that a batch's appends neither copy what came before nor leave
    /// freed blocks behind that the next, larger one cannot use.
    mutating func append(a: [UInt64], b: [UInt64], e: [UInt64], termsPerGate terms: Int, reserve: Int = 0) {
        precondition(a.count == b.count && a.count == e.count * terms, "statement shapes differ")
        guard !e.isEmpty else { return }
        if self.a.capacity == 0, reserve > a.count {
            self.a.reserveCapacity(reserve)
            self.b.reserveCapacity(reserve)
            self.e.reserveCapacity(reserve / terms)
        }
        self.a.append(contentsOf: a)
        self.b.append(contentsOf: b)
        self.e.append(contentsOf: e)
        if let last = self.layout.last, last.terms == terms {
            self.layout[self.layout.count - 1].gates += e.count
        } else {
            self.layout.append((e.count, terms))
        }
    }

    /// For each run, whether its gates take fewer positions spread over all `rows` rows than side by side (few gates
    /// of many terms: G·⌈L/M⌉ < ⌈G/M⌉·L; `ProductProof.Layout`).
    func spreadRuns(rows: Int) -> [Bool] {
        self.layout.map { run in
            run.gates * ((run.terms + rows - 1) / rows) < (run.gates + rows - 1) / rows * run.terms
        }
    }

    /// The gate of each term, expanded (for the proof's random combination).
    func gateOfTerm() -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(self.terms)
        var gate = 0
        for run in self.layout {
            for _ in 0..<run.gates {
                for _ in 0..<run.terms { result.append(gate) }
                gate += 1
            }
        }
        return result
    }

    /// Whether every gate holds (the prover's own sanity check; tests).
    func holds() -> Bool {
        var sums = self.e
        for (term, gate) in self.gateOfTerm().enumerated() { sums[gate] = sums[gate] &+ self.a[term] &* self.b[term] }
        return sums.allSatisfy { $0 == 0 }
    }
}
