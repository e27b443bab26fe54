import ConsortMPC
import ConsortSpec

/// Which CTS engine descriptors this build runs, and with which engine: the engines of `EngineCatalog`, matched by
/// the traits they declare (protocol name, security, majority, party count). The node, the client, `cts validate`
/// and the query checker all ask here.
package struct EngineRegistry: EngineSupport {
    package static let shared = EngineRegistry()

    package init() {}

    /// The engine that runs `descriptor`, or an error naming what this build runs instead.
    package func engine(for descriptor: EngineDescriptor) throws -> any MPCEngine.Type {
        if let engine = EngineCatalog.engine(
            named: descriptor.protocol.rawValue, security: EngineTraits.Security(descriptor.security),
            majority: EngineTraits.Majority(descriptor.majority), parties: descriptor.parties)
        {
            return engine
        }
        throw QueryError(
            .unsupported,
            self.diagnostic(for: descriptor)?.message ?? "the engine \(descriptor) is not supported by this build")
    }

    /// The engines of this build, one line each.
    package var supported: [String] {
        EngineCatalog.all.map { engine in
            let traits = engine.traits
            let parties =
                traits.parties.count == 1
                ? "\(traits.parties.lowerBound)" : "\(traits.parties.lowerBound)–\(traits.parties.upperBound)"
            return
                "\(traits.name) (\(traits.security.rawValue) security, \(traits.majority.rawValue) majority, \(parties) computing parties)"
        }
    }

    package func diagnostic(for descriptor: EngineDescriptor) -> Diagnostic? {
        let security = EngineTraits.Security(descriptor.security), majority = EngineTraits.Majority(descriptor.majority)
        let candidates: [EngineTraits] = EngineCatalog.all.map { engine in engine.traits }.filter { traits in
            traits.name == descriptor.protocol.rawValue && traits.security == security && traits.majority == majority
        }
        guard !candidates.isEmpty else {
            return Diagnostic(
                at: "/engine",
                "the engine \(descriptor.identity) is not supported by this build (supported: \(self.supported.joined(separator: "; ")))"
            )
        }
        guard candidates.contains(where: { $0.parties.contains(descriptor.parties) }) else {
            let counts = candidates.map { traits in
                traits.parties.count == 1
                    ? "exactly \(traits.parties.lowerBound)"
                    : "\(traits.parties.lowerBound) to \(traits.parties.upperBound)"
            }
            return Diagnostic(
                at: "/parties/computing",
                "the \(descriptor.protocol.rawValue) engine needs \(counts.joined(separator: " or ")) computing parties (found \(descriptor.parties))"
            )
        }
        return nil
    }

    package func summary(of descriptor: EngineDescriptor) -> [String] {
        guard let engine = try? self.engine(for: descriptor) else { return ["not supported by this build"] }
        return [engine.traits.summary, "values: \(engine.traits.domain)"]
    }
}

extension EngineTraits.Security {
    init(_ security: EngineDescriptor.Security) {
        switch security {
        case .passive: self = .passive
        case .active: self = .active
        }
    }
}

extension EngineTraits.Majority {
    init(_ majority: EngineDescriptor.Majority) {
        switch majority {
        case .honest: self = .honest
        case .dishonest: self = .dishonest
        }
    }
}
