/// 3-party replicated secret sharing over Z_2^64 (Araki et al. CCS 2016; ABY3; Sharemind `shared3p`).
///
/// A value x is split as x = x₀ + x₁ + x₂ (mod 2^64); party i holds (xᵢ, xᵢ₊₁). Any two parties can reconstruct, no
/// single party learns anything. Boolean values use the same structure with XOR, bit-sliced in 64-bit words.
package enum Replicated3 {
    package static let parties = 3

    /// The most elements the passive shuffle permutes at once (whole columns, at least one): 32 MiB per array.
    package static let shuffleGroupElements = 1 << 22

    /// The most comparisons a sort's level opens at once (a multiple of 64): their bit planes take about 32 MiB.
    package static let comparisonSliceElements = 1 << 21

    @inlinable
    package static func next(_ party: Int) -> Int { (party + 1) % 3 }

    @inlinable
    package static func previous(_ party: Int) -> Int { (party + 2) % 3 }
}
