/// The replicated engine behind the generic seam: public values, dealing and reconstruction in `Int64`, the session
/// end, and how it describes itself.
extension Replicated3.Engine: MPCEngine {
    package static let traits = EngineTraits(
        name: "replicated3", security: .passive, majority: .honest, parties: 3...3, domain: .ring(bits: 64),
        costs: Replicated3.Costs(),
        summary:
            "3-party replicated secret sharing over Z_2^64: no single computing party can learn any input, provided "
            + "at most one of them is corrupt and all follow the protocol (passive security)."
    )

    package var parties: Int { Replicated3.parties }

    package static func deal(_ values: [Int64], parties: Int) throws -> [Replicated3.Share] {
        guard parties == Replicated3.parties else {
            throw MPCError(
                .invalidArgument, "the replicated engine shares among three computing parties, not \(parties)")
        }
        return Replicated3.share(values.map { UInt64(bitPattern: $0) }).shares
    }

    package static func combine(_ shares: [Replicated3.Share]) throws -> [Int64] {
        try Replicated3.reconstruct(shares).map { Int64(bitPattern: $0) }
    }

    package func constant(_ values: PublicVector) -> Replicated3.Share {
        Replicated3.Share.zeros(values.count).adding(public: values.words, party: self.party)
    }

    package func adding(_ x: Replicated3.Share, _ values: PublicVector) -> Replicated3.Share {
        x.adding(public: values.words, party: self.party)
    }

    package func subtracting(_ x: Replicated3.Share, _ values: PublicVector) -> Replicated3.Share {
        x.adding(public: Ring.negate(values.words), party: self.party)
    }

    /// Nothing to verify (passive security): ends the session on the transport once every party is done.
    package mutating func finish() async throws {
        try await self.transport.finish()
    }
}
