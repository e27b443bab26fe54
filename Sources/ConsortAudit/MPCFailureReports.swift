/// What the computing parties' aborted sessions say about who deviated: each node that caught a deviation logs, with
/// its `compute-aborted` entry, its party index and the parties one of which must have deviated as far as it could
/// tell (`Specs/engines.md` §3, "What can be attributed"). An honest party's set always holds the cheater and never
/// itself; a cheater may log anything.
///
/// The auditor does not know who is honest, so it names a party only where that is forced: party c could be the one
/// cheater only if every report by another party names c. If exactly one party passes that test it deviated (the real
/// cheater always passes, since every honest report names it); otherwise the candidates are in dispute. So no honest
/// party is ever blamed alone, whatever the cheater logs.
package struct MPCFailureReports: Sendable {
    /// One node's report: its party index and its suspects (empty: it saw a peer leave, which names no one), and the
    /// task's computing parties in order as the node read them from the CTS.
    package struct Report: Sendable, Equatable {
        package var party: Int
        package var suspects: [Int]
        package var computing: [String]

        package init(party: Int, suspects: [Int], computing: [String] = []) {
            self.party = party
            self.suspects = suspects
            self.computing = computing
        }
    }

    /// Reports by member.
    package var reports: [String: Report] = [:]

    package init(reports: [String: Report] = [:]) { self.reports = reports }

    /// The finding for one task: nil when no node named anyone.
    package func finding(task: String) -> String? {
        let naming = self.reports.filter { !$0.value.suspects.isEmpty }
        guard !naming.isEmpty else { return nil }
        var members = Dictionary(self.reports.map { ($0.value.party, $0.key) }) { first, _ in first }
        for report in self.reports.values {
            for (party, member) in report.computing.enumerated() where members[party] == nil { members[party] = member }
        }
        let parties = max(
            self.reports.values.map(\.computing.count).max() ?? 0,
            (self.reports.values.flatMap { $0.suspects + [$0.party] }.max() ?? 0) + 1)
        func name(_ party: Int) -> String { members[party].map { "\($0) (party \(party))" } ?? "party \(party)" }
        let said = naming.sorted { $0.value.party < $1.value.party }.map { member, report in
            "\(member) (party \(report.party)) names \(report.suspects.sorted().map(name).joined(separator: " or "))"
        }.joined(separator: "; ")
        let candidates = (0..<parties).filter { candidate in
            naming.values.allSatisfy { $0.party == candidate || $0.suspects.contains(candidate) }
        }
        let prefix = "task \(task.prefix(16))…: "
        switch candidates.count {
        case 1:
            return prefix + "BLAMED: \(name(candidates[0])) deviated in the MPC: every other computing party that "
                + "caught a deviation names it (\(said))"
        case 0:
            return prefix + "DISPUTE: the computing parties' reports of a deviation cannot all come from honest "
                + "parties with one cheater (\(said))"
        default:
            return prefix + "DISPUTE: a computing party deviated in the MPC, one of "
                + "\(candidates.map(name).joined(separator: ", ")); the reports cannot tell which (\(said))"
        }
    }
}
