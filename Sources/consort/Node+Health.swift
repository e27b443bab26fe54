import ArgumentParser
import ConsortClient
import ConsortNode
import ConsortPKI
import ConsortTransport
import Foundation

extension Node {
    /// The liveness probe of a running node (systemd, a container's health check, a Kubernetes probe): its own API
    /// answers `GET /v1/health` over mutual TLS as its member, asked with its own node identity.
    struct Health: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exit 0 if the node of a configuration answers as itself over mutual TLS (a health check).",
            discussion: """
                Loads the configuration as 'node run' does, asks the node's own API for GET /v1/health with the
                node's identity, and checks the answer comes from this member's node. Prints one line; exits 1 if
                the node does not answer in --timeout seconds or answers as someone else.

                Example:
                  consort node health --config /etc/consort/node.json
                """
        )

        @Option(help: "The node configuration (from 'consort node init').") var config: String
        @Option(help: "Seconds to wait for the answer.") var timeout: Int = 5

        func run() async throws {
            let loaded: NodeConfiguration.Loaded
            do {
                let configuration = try NodeConfiguration.read(config)
                loaded = try await configuration.load(
                    relativeTo: URL(fileURLWithPath: config).deletingLastPathComponent().path)
            } catch {
                throw CommandFailure("\(config): \(error)")
            }
            guard await Self.answersAsItself(loaded, timeout: .seconds(Int64(max(1, timeout)))) else {
                throw CommandFailure(
                    "the node of \(loaded.member) on \(loaded.configuration.listen) does not answer as itself")
            }
            print("ok: the node of \(loaded.member) answers on \(loaded.configuration.listen)")
        }

        /// Whether the node's own API answers as its member (`node check` uses it to tell its own port in use).
        static func answersAsItself(_ node: NodeConfiguration.Loaded, timeout: Duration = .seconds(5)) async -> Bool {
            let client = NodeClient(
                authentication: TLSPeerAuthentication(identity: node.identity, verifier: node.verifier))
            let host = node.host == "0.0.0.0" ? "127.0.0.1" : node.host == "::" ? "::1" : node.host
            guard let endpoint = URL(string: "https://\(host.contains(":") ? "[\(host)]" : host):\(node.port)"),
                let response = try? await client.request(
                    .get, "/v1/health", to: endpoint, node: node.member, timeout: timeout),
                response.status == 200
            else { return false }
            return (try? HealthResponse.decode(Array(response.body.utf8)))?.member == node.member.rawValue
        }
    }
}
