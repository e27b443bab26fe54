extension EngineCatalog {
    /// 3-party replicated secret sharing over Z_2^64, passive security.
    static let replicated3: any MPCEngine.Type = Replicated3.Engine.self
}

extension EngineCatalog {
    /// The same with active security: every message checked by distributed proofs or tags (`Verification/`).
    static let replicated3Active: any MPCEngine.Type = Replicated3.ActiveEngine.self
}
