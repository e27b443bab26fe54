import ConsortPKI
import Foundation

/// Who a member's client acts as and whom it trusts: an identity (`DIR/NAME` for DIR/NAME.key + DIR/NAME.pem), the
/// operator-signed member directory and the operator root. Each comes from, in order of precedence, an explicit
/// value (a command-line flag), the environment (`CONSORT_IDENTITY`, `CONSORT_DIRECTORY`, `CONSORT_ROOT`), or a
/// profile file (`CONSORT_PROFILE`, or given explicitly): JSON `{"identity", "directory", "root"}`, paths relative
/// to the file.
package struct ClientProfile: Codable, Sendable, Equatable {
    package var identity: String?
    package var directory: String?
    package var root: String?

    package init(identity: String? = nil, directory: String? = nil, root: String? = nil) {
        self.identity = identity
        self.directory = directory
        self.root = root
    }

    /// Reads a profile file, making its paths absolute.
    package static func read(_ path: String) throws -> ClientProfile {
        let profile: ClientProfile
        do {
            profile = try JSONDecoder().decode(ClientProfile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ClientError(.configuration, "cannot read the client profile \(path): \(error)", underlying: error)
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        func absolute(_ value: String?) -> String? { value.map { $0.hasPrefix("/") ? $0 : "\(base)/\($0)" } }
        return ClientProfile(
            identity: absolute(profile.identity), directory: absolute(profile.directory), root: absolute(profile.root))
    }

    /// The settings after applying `explicit` values, then `environment`, then the profile file (`profile` or
    /// `CONSORT_PROFILE`). A missing setting is an error naming the flag, variable and profile key that give it; the
    /// identity is not looked up when the caller has one already (`needsIdentity` false: it is nil).
    package static func resolve(
        explicit: ClientProfile, profile: String? = nil, needsIdentity: Bool = true,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (identity: String?, directory: String, root: String) {
        let file = try (profile ?? environment["CONSORT_PROFILE"]).map(Self.read) ?? ClientProfile()
        func pick(_ value: String?, _ variable: String, _ fromFile: String?, _ flag: String) throws -> String {
            guard let chosen = value ?? environment[variable] ?? fromFile else {
                throw ClientError(.configuration, "give \(flag) (or set \(variable), or use a --profile that has it)")
            }
            return chosen
        }
        return (
            needsIdentity ? try pick(explicit.identity, "CONSORT_IDENTITY", file.identity, "--identity DIR/NAME") : nil,
            try pick(explicit.directory, "CONSORT_DIRECTORY", file.directory, "--directory FILE"),
            try pick(explicit.root, "CONSORT_ROOT", file.root, "--root FILE")
        )
    }
}
