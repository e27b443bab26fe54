/// The MPC engine a task runs on, as its CTS chooses it (`engine`: protocol, security model, adversary majority)
/// with the number of computing parties the CTS names.
package struct EngineDescriptor: Hashable, Sendable, CustomStringConvertible {
    /// The protocols a CTS may name (`Specs/cts.schema.json`); which of them a build runs is the `EngineSupport`'s
    /// answer.
    package enum ProtocolName: String, Hashable, Sendable, CaseIterable {
        /// 3-party replicated secret sharing over Z_2^64.
        case replicated3
        /// n-party Shamir sharing over a prime field.
        case shamir
        /// Additive n-party sharing with MACs, dishonest majority.
        case spdz
    }

    package enum Security: String, Hashable, Sendable, CaseIterable {
        case passive, active
    }

    package enum Majority: String, Hashable, Sendable, CaseIterable {
        case honest, dishonest
    }

    package var `protocol`: ProtocolName
    package var security: Security
    package var majority: Majority
    /// The number of computing parties (`parties.computing` of the CTS).
    package var parties: Int
    /// `engine.measurements`: the SHA-256 (lowercase hex) of each build of `consort` a computing party may run this
    /// task with; empty: any (`Specs/attestation.md`).
    package var measurements: [String] = []

    package init(protocol: ProtocolName, security: Security, majority: Majority, parties: Int) {
        self.protocol = `protocol`
        self.security = security
        self.majority = majority
        self.parties = parties
    }

    /// `protocol/security/majority`, as share envelopes record the engine.
    package var identity: String { "\(self.protocol.rawValue)/\(self.security.rawValue)/\(self.majority.rawValue)" }

    package var description: String {
        "\(self.protocol.rawValue) (\(self.security.rawValue) security, \(self.majority.rawValue) majority, \(self.parties) computing parties)"
    }
}

/// Which engines a build can run. The query layer's engine registry is the implementation; documents are read and
/// checked without one where no engine will run (e.g. showing a stored CTS).
package protocol EngineSupport: Sendable {
    /// Why this build cannot run `engine`, as a diagnostic with its JSON pointer (nil: it can).
    func diagnostic(for engine: EngineDescriptor) -> Diagnostic?
    /// What the engine guarantees and costs, for reviewers (`cts show`).
    func summary(of engine: EngineDescriptor) -> [String]
}
