extension EngineCatalog {
    /// 3-party replicated secret sharing over Z_2^64, passive security.
    static let replicated3: any MPCEngine.Type = Replicated3.Engine.self
}
