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
            var failures = 0
            func fetch(_ path: String, from member: MemberDirectory.Member, timeout: Duration) async -> NodeClient.Response? {
                guard let endpoint = member.endpoint else { return nil }
                do {
                    let response = try await client.request(.get, path, to: endpoint, node: member.id, timeout: timeout)
                    if response.status == 200 { return response }
                    report("  \(member.id): \(path): \(response.status) \(response.body)")
                } catch {
                    report("  \(member.id): \(error)")
                }
                failures += 1
                return nil
            }
            // Checkpoints first, then logs: a countersignature in a checkpoint was recorded in the witness's log
            // before the checkpoint was stored, so every one pulled must be in a log pulled after it.
            var checkpoints: [MemberID: Int] = [:]
            for member in directory.members {
                guard let response = await fetch("/v1/audit/checkpoints", from: member, timeout: .seconds(60)) else { continue }
                do {
                    try Data(response.body.utf8).write(to: URL(fileURLWithPath: "\(out)/\(member.id).checkpoints.jsonl"))
                    checkpoints[member.id] = response.body.split(separator: "\n").count
                } catch {
                    report("  \(member.id): \(error)"); failures += 1
                }
            }
            for member in directory.members {
                guard let count = checkpoints[member.id], let response = await fetch("/v1/audit", from: member, timeout: .seconds(120)) else { continue }
                do {
                    try Data(response.body.utf8).write(to: URL(fileURLWithPath: "\(out)/\(member.id).jsonl"))
                    try PEMFiles.write(try PEMFiles.pem(response.peerChain), to: "\(out)/\(member.id).pem")
                    report("  \(member.id): \(response.body.split(separator: "\n").count) entries, \(count) checkpoint(s)")
                } catch {
                    report("  \(member.id): \(error)"); failures += 1
                }
            }
            return failures
        }
    }
}
