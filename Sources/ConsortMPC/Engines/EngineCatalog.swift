/// The engines this build contains. Each engine's folder adds its entry (`<Engine>+Catalog.swift`); the node, the
/// client and the query checker find engines only through here, by the traits the engines declare.
package enum EngineCatalog {
    package static let all: [any MPCEngine.Type] = [Self.replicated3]

    /// Engines being built: not selectable by a CTS (their `all` entry comes when every operation is verified), but
    /// `consort bench mpc` runs them on the operations they support.
    package static let inDevelopment: [any MPCEngine.Type] = [Self.replicated3Active]

    /// The engine with these traits and a party count it supports, if this build has one.
    package static func engine(
        named name: String, security: EngineTraits.Security, majority: EngineTraits.Majority,
        parties: Int,
        including candidates: [any MPCEngine.Type] = []
    ) -> (any MPCEngine.Type)? {
        (Self.all + candidates).first { engine in
            let traits = engine.traits
            return traits.name == name && traits.security == security && traits.majority == majority
                && traits.parties.contains(parties)
        }
    }
}
