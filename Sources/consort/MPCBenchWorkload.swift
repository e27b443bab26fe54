import ArgumentParser
import ConsortMPC
import Foundation

/// The operations `consort bench mpc` measures: their random inputs, the protocol each party runs, and the plaintext
/// check of the reconstructed result. Generic over the engine: any engine of this build can be benchmarked.
enum MPCBenchOperation: String, CaseIterable, Sendable {
    case mul, dot, lt, eq, shuffle, sort, stats

    /// Bits of the values `sort` orders and `stats` summarises (`stats` keeps Σx²·2^f below 2^61 for n ≤ 2^20).
    static let sortKeyBits = 32
    static let statsValueBits = 12

    /// Plaintext input columns of `n` rows.
    func inputs(_ n: Int) -> [[Int64]] {
        var generator = SystemRandomNumberGenerator()
        func column(_ bound: Int64) -> [Int64] { (0..<n).map { _ in Int64.random(in: 0..<bound, using: &generator) } }
        func full() -> [Int64] { (0..<n).map { _ in Int64(bitPattern: generator.next()) } }
        // Signed values in [−2^62, 2^62): their difference fits a 64-bit comparison.
        func signed() -> [Int64] { (0..<n).map { _ in Int64(bitPattern: generator.next() >> 1 &- (1 << 62)) } }
        switch self {
        case .mul, .dot: return [full(), full()]
        case .lt: return [signed(), signed()]
        case .eq:
            // Half of the pairs equal, so both outcomes are exercised.
            let x = signed()
            let y = zip(x, signed()).enumerated().map { $0.offset % 2 == 0 ? $0.element.0 : $0.element.1 }
            return [x, y]
        case .shuffle: return [full()]
        case .sort: return [column(1 << Int64(Self.sortKeyBits))]
        case .stats: return [column(1 << Int64(Self.statsValueBits))]
        }
    }

    /// `stats` inputs are held by the three computing parties as input parties, one third each: party i's rows.
    static func slice(_ n: Int, party: Int) -> Range<Int> { n * party / 3..<n * (party + 1) / 3 }

    /// Runs the operation as one party. `shares` are the party's shares of `inputs` (from an external input party);
    /// `own` is its plaintext slice for `stats`, which it shares itself inside the timed part.
    func run<E: MPCEngine>(_ engine: inout E, shares: [E.Share], own: [Int64], n: Int) async throws -> E.Share {
        let bits = E.traits.domain.comparisonBits
        switch self {
        case .mul: return try await engine.multiply(shares[0], shares[1])
        case .dot: return try await engine.dot(shares[0], shares[1])
        case .lt: return try await engine.lessThan(shares[0], shares[1], bits: bits)
        case .eq: return try await engine.equal(shares[0], shares[1], bits: bits)
        case .shuffle: return try await engine.shuffle([shares[0]])[0]
        case .sort: return try await engine.sort(key: shares[0], payload: [], keyBits: Self.sortKeyBits).key
        case .stats:
            var parts: [E.Share] = []
            for owner in 0..<engine.parties {
                let count = Self.slice(n, party: owner).count
                parts.append(try await engine.input(owner == engine.party ? own : nil, from: owner, count: count))
            }
            let statistics = try await engine.summaryStatistics(.concatenate(parts), valueBits: Self.statsValueBits)
            return .concatenate([statistics.sum, statistics.sumOfSquares, statistics.mean, statistics.variance])
        }
    }

    /// Whether `result` is what the plaintext computation gives (within the documented fixed-point bound for `stats`);
    /// products and sums wrap modulo 2^64 as the ring does.
    func check(_ result: [Int64], inputs: [[Int64]], fixedPoint: FixedPoint = .standard) -> Bool {
        let x = inputs[0]
        switch self {
        case .mul: return result == zip(x, inputs[1]).map { $0 &* $1 }
        case .dot: return result == [zip(x, inputs[1]).reduce(0) { $0 &+ $1.0 &* $1.1 }]
        case .lt: return result == zip(x, inputs[1]).map { $0 < $1 ? 1 : 0 }
        case .eq: return result == zip(x, inputs[1]).map { $0 == $1 ? 1 : 0 }
        case .shuffle: return result.count == x.count && result.sorted() == x.sorted() && (x.count < 8 || result != x)
        case .sort: return result == x.sorted()
        case .stats:
            guard result.count == 4 else { return false }
            let n = Int64(x.count)
            let sum = x.reduce(0, +)
            let sumOfSquares = x.reduce(0) { $0 + $1 * $1 }
            let f = Int64(fixedPoint.fractionalBits)
            // Mean: floor(Σx·2^f / n) exactly. Variance: E[x²] − mean², off by the truncation of mean² (≤ 1 ulp) and
            // the error of mean (≤ 1 ulp, times 2·mean).
            let mean = (sum << f) / n
            let trueVariance = Double(sumOfSquares) / Double(n) - (Double(sum) / Double(n)) * (Double(sum) / Double(n))
            let variance = fixedPoint.decode(UInt64(bitPattern: result[3]))
            let bound = (2 * Double(sum) / Double(n) + 3) / Double(1 << f)
            return result[0] == sum && result[1] == sumOfSquares && result[2] == mean
                && abs(variance - trueVariance) <= bound
        }
    }
}

/// The engine a benchmark runs: this build's replicated engine with the security asked for.
enum MPCBenchEngine {
    static func resolve(security: EngineTraits.Security) throws -> any MPCEngine.Type {
        guard
            let engine = EngineCatalog.engine(
                named: "replicated3", security: security, majority: .honest, parties: 3)
        else {
            throw CommandFailure("this build has no replicated3 engine with \(security.rawValue) security")
        }
        return engine
    }

    /// A party's own plaintext values, as raw little-endian words (the bench's input parties' rows, not shares).
    static func writeValues(_ values: [Int64], to path: String) throws {
        try values.map { UInt64(bitPattern: $0).littleEndian }.withUnsafeBytes {
            try Data($0).write(to: URL(fileURLWithPath: path))
        }
    }

    static func readValues(_ path: String) throws -> [Int64] {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        guard bytes.count % 8 == 0 else { throw CommandFailure("\(path) is not a whole number of 8-byte values") }
        return Ring.words(littleEndian: bytes[...]).map { Int64(bitPattern: $0) }
    }

    /// The envelope header of party `party`'s shares in a benchmark directory.
    static func header<E: MPCEngine>(_ engine: E.Type, party: Int, columns: Int, rows: Int) -> ShareEnvelope.Header {
        ShareEnvelope.Header(
            engine: E.traits.identity, modulus: E.traits.domain.modulus, party: party, parties: 3, task: "bench",
            columns: (0..<columns).map { "x\($0)" }, rows: rows)
    }
}

extension EngineTraits.Security: ExpressibleByArgument {}
