import ConsortPKI
import Foundation
import Synchronization

/// Signed-in sessions of the web UI, in memory (a restart signs everyone out): a random token in an `HttpOnly;
/// SameSite=Strict` cookie, and a CSRF token of its own that every form carries. Idle sessions end after `idle`.
package final class UISessions: Sendable {
    package struct Session: Sendable {
        package var user: String
        package var roles: Set<InternalRole>
        package var csrf: String
        var lastSeen: Date
    }

    private let sessions = Mutex<[String: Session]>([:])
    let idle: TimeInterval

    package init(idle: TimeInterval = 30 * 60) { self.idle = idle }

    /// 32 bytes from the system's CSPRNG, base64url.
    static func token() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// A new session for `user`; returns its token.
    func open(user: String, roles: Set<InternalRole>) -> String {
        let token = Self.token()
        self.sessions.withLock { sessions in
            let now = Date()
            sessions = sessions.filter { now.timeIntervalSince($0.value.lastSeen) < self.idle }
            sessions[token] = Session(user: user, roles: roles, csrf: Self.token(), lastSeen: now)
        }
        return token
    }

    /// The live session of `token`, kept alive.
    func session(_ token: String?) -> Session? {
        guard let token else { return nil }
        return self.sessions.withLock { sessions in
            guard var session = sessions[token], Date().timeIntervalSince(session.lastSeen) < self.idle else {
                sessions[token] = nil
                return nil
            }
            session.lastSeen = Date()
            sessions[token] = session
            return session
        }
    }

    func close(_ token: String) { _ = self.sessions.withLock { $0.removeValue(forKey: token) } }

    /// Compares two secrets in time that depends on their length only.
    static func same(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
