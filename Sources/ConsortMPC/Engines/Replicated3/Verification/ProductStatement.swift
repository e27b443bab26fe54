/// One side of what a party's multiplication messages must satisfy: for every gate g,
/// Σ_{k ∈ g} a_k·b_k + e_g = 0 over Z_2^64 — a multiplication is a gate of one term, an inner product a gate of as
/// many terms as the vectors are long.
///
/// A table of inner products — every row vector with every column vector, as the sums of several columns per group
/// are — is kept as its vectors (`Table`), not as one gate per pair: its proof combines the pairs after its first
/// round (`ProductProof.Tables`).
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

    /// Inner products of every row vector with every column vector: gate (i, j) is
    /// Σ_k rows[i][k]·columns[j][k] + e[i·C + j] = 0.
    struct Table: Sendable {
        /// R vectors of `length` values, one after the other.
        var rows: [UInt64]
        /// C vectors of `length` values, one after the other.
        var columns: [UInt64]
        /// R · C, row-major.
        var e: [UInt64]
        /// At least 1 (`append`).
        let length: Int

        var rowCount: Int { self.rows.count / self.length }
        var columnCount: Int { self.columns.count / self.length }
        var terms: Int { self.rowCount * self.columnCount * self.length }
    }

    var tables: [Table] = []

    /// Terms of the gates and of the tables (a table of R × C inner products of length L counts R·C·L).
    var terms: Int { self.a.count + self.tables.reduce(0) { $0 + $1.terms } }
    /// Gates outside the tables.
    var gates: Int { self.e.count }

    /// Appends a table (`Table`): `rows` and `columns` hold vectors of `length` values, `e` one value per pair.
    mutating func append(rows: [UInt64], columns: [UInt64], e: [UInt64], length: Int) {
        precondition(length > 0 && rows.count % length == 0 && columns.count % length == 0, "table shapes differ")
        precondition(e.count == rows.count / length * (columns.count / length), "table shapes differ")
        guard !e.isEmpty else { return }
        self.tables.append(Table(rows: rows, columns: columns, e: e, length: length))
    }

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
        let tablesHold = self.tables.allSatisfy { table in
            let (n, columns) = (table.length, table.columnCount)
            return (0..<table.rowCount).allSatisfy { i in
                (0..<columns).allSatisfy { j in
                    (0..<n).reduce(table.e[i * columns + j]) {
                        $0 &+ table.rows[i * n + $1] &* table.columns[j * n + $1]
                    }
                        == 0
                }
            }
        }
        return tablesHold && sums.allSatisfy { $0 == 0 }
    }
}
