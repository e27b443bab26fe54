/// The engines this build contains. Each engine's folder adds its entry (`<Engine>+Catalog.swift`); the node, the
/// client and the query checker find engines only through here, by the traits the engines declare.
package enum EngineCatalog {
    package static let all: [any MPCEngine.Type] = [Self.replicated3, Self.replicated3Active]

    /// The engine with these traits and a party count it supports, if this build has one.
    package static func engine(
        named name: String, security: EngineTraits.Security, majority: EngineTraits.Majority, parties: Int
    ) -> (any MPCEngine.Type)? {
        Self.all.first { engine in
            let traits = engine.traits
            return traits.name == name && traits.security == security && traits.majority == majority
                && traits.parties.contains(parties)
        }
    }
}
