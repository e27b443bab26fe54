import Crypto

extension Replicated3 {
    /// What an input party sends to each computing party for one column: party i gets (xᵢ, xᵢ₊₁).
    package struct Dealt: Sendable {
        package var shares: [Share]
    }

    /// Splits `values` into three replicated shares. x₀ and x₁ are fresh CSPRNG-seeded AES-CTR stream words; x₂ makes
    /// the sum. Used by input parties on their own machine.
    package static func share(_ values: [UInt64]) -> Dealt {
        var first = PRG(key: PRG.randomKey())
        var second = PRG(key: PRG.randomKey())
        let x0 = first.words(values.count)
        let x1 = second.words(values.count)
        let x2 = Ring.subtract(Ring.subtract(values, x0), x1)
        return Dealt(shares: [Share(mine: x0, next: x1), Share(mine: x1, next: x2), Share(mine: x2, next: x0)])
    }

    /// Reconstructs from all three parties' shares (output party), checking that the duplicated components agree: each
    /// component is held by two parties, so a single tampered share is detected and rejected.
    package static func reconstruct(_ shares: [Share]) throws -> [UInt64] {
        guard shares.count == 3 else {
            throw MPCError(.invalidArgument, "reconstruction needs the shares of all three computing parties")
        }
        let count = shares[0].count
        guard shares.allSatisfy({ $0.count == count }) else {
            throw MPCError(.inconsistentShares, "the computing parties returned shares of different lengths")
        }
        for party in 0..<3 where shares[party].next != shares[Self.next(party)].mine {
            throw MPCError(
                .inconsistentShares,
                "component \(Self.next(party)) from computing party \(party) differs from the copy held by party \(Self.next(party)): a share was altered"
            )
        }
        return Ring.add(Ring.add(shares[0].mine, shares[1].mine), shares[2].mine)
    }
}
