import ArgumentParser
import ConsortMPC

/// `consort bench mpc --corrupt PARTY[:DEVIATION]`: which party cheats, and how.
struct MPCBenchCorruption: ExpressibleByArgument {
    var party: Int
    var deviation: String?

    /// The deviations of the engines of this build that have any.
    static var deviations: [String] {
        EngineCatalog.all.flatMap { $0.deviations }
    }

    init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 1).map(String.init)
        guard let party = Int(parts[0]), (0...2).contains(party) else { return nil }
        self.party = party
        self.deviation = parts.count == 2 ? parts[1] : nil
    }

    /// The deviation asked for, or one that the operation's messages exercise.
    func deviation<E: MPCEngine>(for op: MPCBenchOperation, engine: E.Type) throws -> String {
        if let deviation = self.deviation {
            guard E.deviations.contains(deviation) else {
                throw ValidationError(
                    E.deviations.isEmpty
                        ? "the \(E.traits.identity) engine has no way to cheat on purpose: use --security active"
                        : "unknown deviation '\(deviation)': use one of \(E.deviations.joined(separator: ", "))")
            }
            return deviation
        }
        guard !E.deviations.isEmpty else {
            throw ValidationError(
                "the \(E.traits.identity) engine has no way to cheat on purpose: use --security active")
        }
        switch op {
        case .lt, .eq: return "wrong-and"
        case .shuffle, .sort: return "wrong-shuffle"
        default: return "wrong-product"
        }
    }
}

/// A party's failed session, as `bench mpc-party` writes it for the parent.
struct MPCPartyFailure: Codable {
    var code: String
    var message: String
    var suspects: [Int]

    init(_ error: MPCError) {
        self.code = error.code.description
        self.message = error.message
        self.suspects = error.suspects
    }

    var error: MPCError {
        MPCError(MPCError.Code(description: self.code) ?? .protocolViolation, self.message, suspects: self.suspects)
    }
}

/// What `consort bench mpc --corrupt` prints.
struct MPCCorruptionReport: Encodable {
    var op: String
    var engine: String
    var n: Int
    var cheater: Int
    var deviation: String
    /// Every honest party's session aborted (so none released anything): the cheat was noticed.
    var detected: Bool
    /// The party every honest party that named suspects names, if that is one party (null otherwise: a party that
    /// only saw a peer leave names no one).
    var blamed: Int?
    /// Each party's suspects (null for a party whose session finished).
    var suspects: [[Int]?]
    /// Each party's error, or null.
    var errors: [String?]
    /// Whether an honest party finished its session (and so could have released a result).
    var released: Bool

    init(op: String, engine: String, n: Int, cheater: Int, deviation: String, outcomes: [MPCError?]) {
        self.op = op
        self.engine = engine
        self.n = n
        self.cheater = cheater
        self.deviation = deviation
        let honest = (0..<3).filter { $0 != cheater }
        self.suspects = outcomes.map { $0?.suspects }
        self.errors = outcomes.map { $0.map { "[\($0.code)] \($0.message)" } }
        self.released = honest.contains { outcomes[$0] == nil }
        let named = honest.compactMap { outcomes[$0]?.suspects }.filter { !$0.isEmpty }
        self.detected = honest.allSatisfy { outcomes[$0] != nil }
        let common = named.dropFirst().reduce(Set(named.first ?? [])) { $0.intersection($1) }
        self.blamed = common.count == 1 ? common.first : nil
    }

    var text: String {
        var lines = [
            "\(op) n=\(n), party \(cheater) cheating (\(deviation)): "
                + (detected ? "detected" : "NOT DETECTED")
                + (released ? ", A RESULT WAS RELEASED" : ", nothing released")
                + (blamed.map { ", blamed: party \($0)" } ?? ", no single party blamed")
        ]
        for (party, error) in errors.enumerated() {
            lines.append("  party \(party): \(error ?? "finished")")
        }
        return lines.joined(separator: "\n")
    }
}
