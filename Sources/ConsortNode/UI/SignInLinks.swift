import ConsortPKI
import Crypto
import Foundation

/// One-time sign-in links for web UI users (`consort node user link`, and `consort demo --ui` for each member): a
/// random token shown once; the node keeps only its SHA-256, as a file `DATA/ui-links/<digest>.json` naming the user
/// and when the link expires. Using a link removes its file first, so a link signs in at most once even when two
/// requests race, and the files are readable by the node's user only.
package enum SignInLinks {
    struct Link: Codable {
        var user: String
        var expires: Date
    }

    static func folder(data: String) -> String { "\(data)/ui-links" }

    /// A new link token for `user` (who must exist), valid for `seconds`.
    package static func issue(user: String, data: String, validFor seconds: TimeInterval) throws -> String {
        guard try LocalUsers.read(data: data).users.contains(where: { $0.name == user }) else {
            throw NodeError(.notFound, "no web UI user '\(user)' (add one with 'consort node user add')")
        }
        let token = UISessions.token()
        let folder = Self.folder(data: data)
        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = "\(folder)/\(Self.digest(token)).json"
        let bytes = try JSONEncoder().encode(Link(user: user, expires: Date().addingTimeInterval(seconds)))
        guard FileManager.default.createFile(atPath: path, contents: bytes, attributes: [.posixPermissions: 0o600])
        else { throw NodeError(.internalFailure, "cannot write \(path)") }
        return token
    }

    /// The user a link signs in, once; nil for an unknown, used or expired token.
    static func redeem(_ token: String, data: String, now: Date = Date()) -> String? {
        guard token.count == 43, token.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            return nil
        }
        let path = "\(Self.folder(data: data))/\(Self.digest(token)).json"
        guard let bytes = FileManager.default.contents(atPath: path),
            (try? FileManager.default.removeItem(atPath: path)) != nil,
            let link = try? JSONDecoder().decode(Link.self, from: bytes), link.expires > now
        else { return nil }
        return link.user
    }

    static func digest(_ token: String) -> String { Hex.encode(SHA256.hash(data: Data(token.utf8))) }
}
