/// What a Consort certificate stands for, as named by its URI subject alternative name.
///
/// - `consort://<member>` — the member organisation (its member CA);
/// - `consort://<member>/node` — the member's service node;
/// - `consort://<member>/user/<name>` — a person or process of the member.
package enum ConsortIdentity: Hashable, Sendable, CustomStringConvertible {
    case member(MemberID)
    case node(MemberID)
    case user(MemberID, name: String)

    package static let scheme = "consort"

    package var memberID: MemberID {
        switch self {
        case .member(let id), .node(let id), .user(let id, _): return id
        }
    }

    package var kind: Kind {
        switch self {
        case .member: return .memberCA
        case .node: return .node
        case .user: return .user
        }
    }

    package var uri: String {
        switch self {
        case .member(let id): return "consort://\(id)"
        case .node(let id): return "consort://\(id)/node"
        case .user(let id, let name): return "consort://\(id)/user/\(name)"
        }
    }

    package var description: String { self.uri }

    /// Parses a Consort identity URI strictly: lowercase scheme, member id host, no port, query, fragment or userinfo.
    package init(uri: String) throws {
        let prefix = "consort://"
        guard uri.hasPrefix(prefix) else {
            throw PKIError(
                .invalidName, "'\(uri.prefix(120))' is not a Consort identity URI (expected consort://<member>/...)")
        }
        let rest = uri.dropFirst(prefix.count)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let member = try MemberID(parts[0])
        switch parts.count {
        case 1:
            self = .member(member)
        case 2 where parts[1] == "node":
            self = .node(member)
        case 3 where parts[1] == "user":
            try Self.validateUserName(parts[2])
            self = .user(member, name: parts[2])
        default:
            throw PKIError(
                .invalidName,
                "'\(uri.prefix(120))' is not a Consort identity URI: use consort://<member>, consort://<member>/node "
                    + "or consort://<member>/user/<name>"
            )
        }
    }

    /// User names: 1-64 characters of lowercase letters, digits, '.', '_' and '-', starting with a letter or digit.
    package static func validateUserName(_ name: String) throws {
        let bytes = Array(name.utf8)
        let allowed = bytes.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-")
                || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
        let first = bytes.first.map { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) } ?? false
        guard (1...64).contains(bytes.count), allowed, first else {
            throw PKIError(
                .invalidName,
                "'\(name.prefix(80))' is not a valid user name: use 1-64 lowercase letters, digits, '.', '_' or '-', "
                    + "starting with a letter or digit (for example 'alice' or 'upload-bot')"
            )
        }
    }

    /// The kind of certificate an identity is held in.
    package enum Kind: String, Hashable, Sendable, Codable, CustomStringConvertible {
        case `operator`
        case memberCA = "member-ca"
        case node
        case user

        package var description: String { self.rawValue }
    }
}
