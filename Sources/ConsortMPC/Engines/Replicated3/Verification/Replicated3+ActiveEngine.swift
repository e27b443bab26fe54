extension Replicated3 {
    /// The replicated engine with active security (`Specs/engines.md` §3): the passive protocol's messages, each
    /// batch checked by distributed zero-knowledge proofs before anything is opened or released, and openings that
    /// take every missing component from both of its holders.
    ///
    /// Verified: dealt inputs (each component's two copies compared), multiplications, inner products, inputs from
    /// computing parties, openings, the boolean steps (AND gates, bit sharing of local sums, bit-to-arithmetic
    /// conversion) behind comparison, equality, truncation, bit decomposition, division and square root, and the
    /// shuffle (by tags under secret keys, checked at its end) and so the sort.
    package struct ActiveEngine: MPCEngine {
        package typealias Share = Replicated3.Share

        var inner: Engine

        package static let traits = EngineTraits(
            name: "replicated3", security: .active, majority: .honest, parties: 3...3, domain: .ring(bits: 64),
            costs: Replicated3.Costs(active: true),
            summary:
                "3-party replicated secret sharing over Z_2^64 with distributed zero-knowledge proofs: no single "
                + "computing party can learn any input, and one that deviates from the protocol is caught before "
                + "any value is opened or released (active security with abort, honest majority)."
        )

        package var party: Int { self.inner.party }
        package var parties: Int { Replicated3.parties }
        package var rounds: Int { self.inner.rounds }
        package var bytesSent: Int { self.inner.bytesSent }
        /// Products checked and proofs run so far.
        package var verifiedProducts: Int { self.inner.verification?.verifiedTerms ?? 0 }
        package var proofs: Int { self.inner.verification?.proofs ?? 0 }

        package static func establish(transport: any MPCTransport) async throws -> ActiveEngine {
            try await Self.establish(transport: transport, batchTerms: Verification.defaultBatchTerms)
        }

        /// A session that checks its products in batches of `batchTerms` terms (tests use small batches).
        package static func establish(transport: any MPCTransport, batchTerms: Int) async throws -> ActiveEngine {
            var inner = try await Engine.establish(transport: transport)
            inner.enableVerification(batchTerms: batchTerms)
            return ActiveEngine(inner: inner)
        }

        package static func deal(_ values: [Int64], parties: Int) throws -> [Share] {
            try Engine.deal(values, parties: parties)
        }

        package static func combine(_ shares: [Share]) throws -> [Int64] { try Engine.combine(shares) }

        package func constant(_ values: PublicVector) -> Share { self.inner.constant(values) }
        package func adding(_ x: Share, _ values: PublicVector) -> Share { self.inner.adding(x, values) }
        package func subtracting(_ x: Share, _ values: PublicVector) -> Share { self.inner.subtracting(x, values) }

        /// An owner that keeps another masked component than it sends is caught later: its next product's proof, or
        /// the opening, uses the copy its predecessor received.
        package mutating func input(_ values: [Int64]?, from owner: Int, count: Int) async throws -> Share {
            try await self.inner.input(values, from: owner, count: count)
        }

        package mutating func multiply(_ x: Share, _ y: Share) async throws -> Share {
            try await self.inner.multiply(x, y)
        }

        package mutating func innerProducts(_ pairs: [(Share, Share)]) async throws -> Share {
            try await self.inner.innerProducts(pairs)
        }

        package mutating func innerProducts(rows: [Share], columns: [Share]) async throws -> Share {
            try await self.inner.innerProducts(rows: rows, columns: columns)
        }

        package mutating func open(_ x: Share) async throws -> [Int64] { try await self.inner.checkedOpen(x) }

        package mutating func lessThan(_ x: Share, _ y: Share, bits: Int) async throws -> Share {
            try await self.inner.lessThan(x, y, bits: bits)
        }

        package mutating func lessThanZero(_ x: Share, bits: Int) async throws -> Share {
            try await self.inner.lessThanZero(x, bits: bits)
        }

        package mutating func anyNegative(_ x: Share, bits: Int, spans: [Range<Int>]) async throws -> Share {
            try await self.inner.anyNegative(x, bits: bits, spans: spans)
        }

        package mutating func anyOutside(_ x: Share, widths: [Int64], spans: [Range<Int>], bits: Int) async throws
            -> Share
        {
            try await self.inner.anyOutside(x, widths: widths, spans: spans, bits: bits)
        }

        package mutating func equal(_ x: Share, _ y: Share, bits: Int) async throws -> Share {
            try await self.inner.equal(x, y, bits: bits)
        }

        package mutating func truncate(_ x: Share, by m: Int) async throws -> Share {
            try await self.inner.truncate(x, by: m)
        }

        package mutating func bitDecompose(_ x: Share, bits: Int) async throws -> Share {
            try await self.inner.bitDecompose(x, bits: bits)
        }

        package mutating func shuffle(_ columns: [Share]) async throws -> [Share] {
            try await self.inner.verifiedShuffle(columns)
        }

        /// The verified shuffle, then a quicksort whose comparisons are proved before each level's outcome opens.
        package mutating func sort(key: consuming Share, payload: consuming [Share], keyBits: Int) async throws -> (
            key: Share, payload: [Share]
        ) {
            try await self.inner.sort(key: key, payload: payload, keyBits: keyBits)
        }

        package static var deviations: [String] { Deviation.allCases.map(\.rawValue) }

        package mutating func deviate(_ deviation: String) throws {
            guard let parsed = Deviation(rawValue: deviation) else {
                throw MPCError(
                    .invalidArgument,
                    "unknown deviation '\(deviation)': use one of \(Self.deviations.joined(separator: ", "))")
            }
            self.inner.deviation = parsed
        }

        package var pendingDeviation: String? { self.inner.deviation?.rawValue }

        package mutating func verifyPending() async throws { try await self.inner.verifyProducts() }

        package mutating func verifyInputs(_ columns: [Share]) async throws {
            try await self.inner.checkConsistency(columns)
        }

        /// Checks the last batch, tells both neighbours its checks passed and waits to hear the same from them (a party
        /// that rejected a proof aborts instead, so no one finishes alone, whatever the transport), then ends the
        /// session once every party is there.
        package mutating func finish() async throws {
            try await self.inner.verifyProducts()
            let passed = try await self.inner.exchange(toPrevious: [1], toNext: [1], fromPrevious: true, fromNext: true)
            _ = try self.inner.expect(passed.previous, count: 1, from: self.inner.previous)
            _ = try self.inner.expect(passed.next, count: 1, from: self.inner.next)
            try await self.inner.transport.finish()
        }
    }
}
