import ConsortPKI
import Foundation
import HummingbirdBcrypt

/// The people of the member who sign in to its node's web UI: a name, the member's internal roles they hold here, and
/// a bcrypt hash (cost 12, salted) of their password, in `ui-users.json` in the node's data directory, readable by
/// the node's user only. `consort node user add` writes it (the first user is set up that way).
package struct LocalUsers: Sendable {
    package struct User: Codable, Sendable, Equatable {
        package var name: String
        package var roles: [InternalRole]
        package var hash: String
    }

    package static let file = "ui-users.json"
    package var users: [User]

    package static func path(data: String) -> String { "\(data)/\(Self.file)" }

    /// The users in `data` (none when the file does not exist yet).
    package static func read(data: String) throws -> LocalUsers {
        let path = Self.path(data: data)
        guard let bytes = FileManager.default.contents(atPath: path) else { return LocalUsers(users: []) }
        do { return LocalUsers(users: try JSONDecoder().decode([User].self, from: bytes)) } catch {
            throw NodeError(.configuration, "\(path) is not a list of web UI users: \(error)")
        }
    }

    /// Adds (or, with `replace`, re-keys) a user: a name of letters, digits, '.', '-' or '_', at least one role, and
    /// a password of at least 12 characters.
    package static func add(
        name: String, roles: Set<InternalRole>, password: String, data: String, replace: Bool = false
    ) throws {
        guard (1...64).contains(name.count),
            name.unicodeScalars.allSatisfy({
                CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)
            })
        else {
            throw NodeError(.invalidRequest, "a user name is 1 to 64 letters, digits, '.', '-' or '_', not '\(name)'")
        }
        guard !roles.isEmpty else { throw NodeError(.invalidRequest, "give the user at least one role") }
        guard password.count >= 12 else {
            throw NodeError(.invalidRequest, "a password has at least 12 characters")
        }
        var users = try Self.read(data: data).users
        if let index = users.firstIndex(where: { $0.name == name }) {
            guard replace else {
                throw NodeError(.conflict, "user '\(name)' exists (give --replace to set new roles and password)")
            }
            users.remove(at: index)
        }
        users.append(User(name: name, roles: roles.sorted(), hash: Bcrypt.hash(password, cost: 12)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let path = Self.path(data: data)
        try DurableFile.write(Array(try encoder.encode(users)), to: path)
        guard chmod(path, 0o600) == 0 else {
            throw NodeError(.internalFailure, "cannot make \(path) readable by its owner only")
        }
    }

    /// The user, if the password is theirs. An unknown name costs a hash too, so timing does not tell names apart.
    package func authenticate(name: String, password: String) -> User? {
        guard let user = self.users.first(where: { $0.name == name }) else {
            _ = Bcrypt.verify(password, hash: Self.decoy)
            return nil
        }
        return Bcrypt.verify(password, hash: user.hash) ? user : nil
    }

    private static let decoy = Bcrypt.hash("consort decoy password", cost: 12)
}
