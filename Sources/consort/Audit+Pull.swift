import ArgumentParser
import ConsortAudit
import ConsortNode
import ConsortPKI
import ConsortSpec
import Foundation

extension Audit {
    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch every node's audit log (auditors only) with the node's certificate chain, for 'audit verify --dir'.",
            discussion: """
                Writes DIR/<member>.jsonl and DIR/<member>.pem (the chain the node presented, verified in the handshake).

                Example:
                  consort audit pull --out logs --identity auditor/alice --directory directory.json --root op/operator.pem
                  consort audit verify --dir logs --root op/operator.pem
                """
        )

        @Option(help: "The directory to write the logs to.") var out: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let (nodeClient, directory) = try client.load()
            if await Self.pull(client: nodeClient, directory: directory, out: out, report: { print($0) }) > 0 { throw ExitCode(1) }
        }

        /// Writes `<member>.jsonl` and the node's verified chain `<member>.pem` for every node; returns how many failed.
        static func pull(client: NodeClient, directory: MemberDirectory, out: String, report: (String) -> Void) async -> Int {
            do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
                report("cannot create \(out): \(error)")
                return 1
            }
            // Checkpoints first, then logs: a countersignature in a checkpoint was recorded in the witness's log
            // before the checkpoint was stored, so every one pulled must be in a log pulled after it.
            var failures = 0
            var pulled: [MemberID] = []
            for member in directory.members {
                guard let endpoint = member.endpoint else { continue }
                do {
                    let checkpoints = try await client.request(.get, "/v1/audit/checkpoints", to: endpoint, node: member.id, timeout: .seconds(60))
                    guard checkpoints.status == 200 else {
                        report("  \(member.id): checkpoints: \(checkpoints.status) \(checkpoints.body)"); failures += 1; continue
                    }
                    try Data(checkpoints.body.utf8).write(to: URL(fileURLWithPath: "\(out)/\(member.id).checkpoints.jsonl"))
                    pulled.append(member.id)
                } catch {
                    report("  \(member.id): \(error)"); failures += 1
                }
            }
            for member in directory.members where pulled.contains(member.id) {
                guard let endpoint = member.endpoint else { continue }
                do {
                    let response = try await client.request(.get, "/v1/audit", to: endpoint, node: member.id, timeout: .seconds(120))
                    guard response.status == 200 else {
                        report("  \(member.id): \(response.status) \(response.body)"); failures += 1; continue
                    }
                    try Data(response.body.utf8).write(to: URL(fileURLWithPath: "\(out)/\(member.id).jsonl"))
                    try PEMFiles.write(try PEMFiles.pem(response.peerChain), to: "\(out)/\(member.id).pem")
                    let checkpoints = try String(contentsOfFile: "\(out)/\(member.id).checkpoints.jsonl", encoding: .utf8).split(separator: "\n").count
                    report("  \(member.id): \(response.body.split(separator: "\n").count) entries, \(checkpoints) checkpoint(s)")
                } catch {
                    report("  \(member.id): \(error)"); failures += 1
                }
            }
            return failures
        }
    }
}
