import Foundation

/// A role the operator grants a member organisation when it admits it (carried in the member CA certificate).
package enum MemberRole: String, CaseIterable, Hashable, Comparable, Sendable, Codable {
    case input
    case output
    case compute
    case auditor

    package init(parsing text: String) throws {
        guard let role = MemberRole(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw PKIError(
                .invalidRole,
                "unknown member role '\(text)': use one of \(MemberRole.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        self = role
    }

    /// Parses a comma-separated list such as `input,output`.
    package static func parseList(_ text: String) throws -> Set<MemberRole> {
        let parts = text.split(separator: ",").map(String.init)
        guard !parts.isEmpty else {
            throw PKIError(.invalidRole, "no member role given: use e.g. --roles input,output")
        }
        return Set(try parts.map(MemberRole.init(parsing:)))
    }

    package static func < (lhs: MemberRole, rhs: MemberRole) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A role a member gives one of its own people or processes (carried in the user certificate).
package enum InternalRole: String, CaseIterable, Hashable, Comparable, Sendable, Codable {
    /// Signs computation task specifications and halts on behalf of the member.
    case signer
    /// Uploads secret-shared input data.
    case uploader
    /// Fetches and reconstructs results.
    case analyst
    /// Administers the member's node and reads audit logs.
    case admin
    /// Pulls and verifies the nodes' audit logs (a user of an auditor member).
    case auditor

    package init(parsing text: String) throws {
        guard let role = InternalRole(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw PKIError(
                .invalidRole,
                "unknown internal role '\(text)': use one of \(InternalRole.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        self = role
    }

    package static func < (lhs: InternalRole, rhs: InternalRole) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
