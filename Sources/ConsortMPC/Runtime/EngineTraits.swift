/// How an engine describes itself: the protocol name a CTS selects it by, its security and adversary model, how many
/// computing parties it runs with, its value domain and its cost model.
package struct EngineTraits: Sendable {
    /// Who the engine protects against.
    package enum Security: String, Sendable, Hashable, CaseIterable {
        /// Corrupt parties follow the protocol but try to learn more (semi-honest).
        case passive
        /// Corrupt parties may deviate arbitrarily; they are caught (security with abort).
        case active
    }

    /// How many computing parties may be corrupt.
    package enum Majority: String, Sendable, Hashable, CaseIterable {
        /// Fewer than half.
        case honest
        /// All but one.
        case dishonest
    }

    /// The protocol's name as a CTS writes it (`engine.protocol`).
    package var name: String
    package var security: Security
    package var majority: Majority
    /// The numbers of computing parties the engine runs with.
    package var parties: ClosedRange<Int>
    package var domain: ValueDomain
    package var costs: any CostModel
    /// What the engine guarantees, in a sentence or two for reviewers of a CTS.
    package var summary: String

    package init(
        name: String, security: Security, majority: Majority, parties: ClosedRange<Int>, domain: ValueDomain,
        costs: any CostModel, summary: String
    ) {
        self.name = name
        self.security = security
        self.majority = majority
        self.parties = parties
        self.domain = domain
        self.costs = costs
        self.summary = summary
    }
}
