extension Replicated3 {
    /// Ways one party of an actively secure session can be made to cheat, for the corruption tests and
    /// `consort bench mpc --corrupt`: each fires once, at the first chance, and the honest parties must catch it.
    package enum Deviation: String, Sendable, CaseIterable {
        /// Adds an error to its share of a product and proves the altered message (the additive attack).
        case wrongProduct = "wrong-product"
        /// Flips a bit of its first proof message to its successor.
        case flipProofBit = "flip-proof-bit"
        /// As a verifier, sends the prover another challenge than the one it folds with.
        case wrongChallenge = "wrong-challenge"
        /// As a verifier, opens a wrong share of the proof's last values to the other verifier.
        case wrongFinalShare = "wrong-final-share"
        /// Flips a bit of its message in an AND gate.
        case wrongAnd = "wrong-and"
        /// Shares wrong bits of its local sum (comparison, equality, truncation).
        case wrongBits = "wrong-bits"
        /// Sends a wrong share of the carries that come with shared bits (the proof's witness).
        case wrongCarries = "wrong-carries"
        /// Sends a wrong value when bits are converted to arithmetic shares.
        case wrongConversion = "wrong-conversion"
        /// Sends a wrong share component when a value is opened.
        case wrongOpening = "wrong-opening"
        /// In a shuffle pass, sends the receiver a wrong masked value.
        case wrongShuffle = "wrong-shuffle"
        /// In a shuffle pass, permutes with another permutation than its partner's.
        case wrongPermutation = "wrong-permutation"
        /// Uses and sends a wrong share of a shuffle's tags.
        case wrongTag = "wrong-tag"
        /// Skips the check of a batch altogether.
        case skipCheck = "skip-check"
    }
}

extension Replicated3.Engine {
    /// Whether `deviation` is set; consumes it (a deviation fires once).
    mutating func deviates(_ deviation: Replicated3.Deviation) -> Bool {
        guard self.deviation == deviation else { return false }
        self.deviation = nil
        return true
    }
}
