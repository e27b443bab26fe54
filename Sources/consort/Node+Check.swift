import ArgumentParser
import ConsortAudit
import ConsortClient
import ConsortNode
import ConsortPKI
import ConsortSpec
import ConsortTransport
import Foundation
import NIOCore
import NIOPosix
import X509

extension Node {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Preflight a node: configuration, certificates and CRLs, directory, ports, store, peers' clocks.",
            discussion: """
                Prints one line per check (ok, warn or FAIL) and exits non-zero if any check fails. Run it before
                'node run' (the ports must be free) or beside the running node (its ports are then its own). Nothing
                is written: a store that does not exist yet is reported, not created.

                Example:
                  consort node check --config /etc/consort/node.json
                """
        )

        @Option(help: "The node configuration (from 'consort node init').") var config: String
        @Option(help: "Warn when a certificate expires within this many days.") var expiryDays: Int = 30
        @Option(help: "Fail when a peer's clock is off by more than this many seconds (warn above a tenth).")
        var maxSkew: Double = 30

        func run() async throws {
            var report = Report()
            let loaded: NodeConfiguration.Loaded
            do {
                let configuration = try NodeConfiguration.read(config)
                let base = URL(fileURLWithPath: config).deletingLastPathComponent().path
                loaded = try await configuration.load(relativeTo: base)
            } catch {
                report.fail("configuration", "\(error)")
                throw ExitCode(1)
            }
            report.ok(
                "configuration",
                "node of \(loaded.member), API on \(loaded.configuration.listen), "
                    + "node certificate verified under the operator root with current CRLs")
            let build = BuildMeasurement.current
            report.ok(
                "build",
                "consort \(build.version), commit \(build.commit), measurement \(build.sha256) "
                    + "(what a task's engine.measurements must list)")
            self.certificates(loaded, &report)
            self.revocationLists(loaded, &report)
            report.ok(
                "directory",
                "\(loaded.directory.members.count) member(s), issued "
                    + "\(DocumentReader.formatTimestamp(loaded.directory.issuedAt)), signed by the operator root")
            await self.ports(loaded, &report)
            await self.store(loaded, &report)
            await self.peers(loaded, &report)
            print("node check: \(report.failures) failure(s), \(report.warnings) warning(s)")
            if report.failures > 0 { throw ExitCode(1) }
        }

        /// The node's chain and the operator root: valid now (the load checked it), and how long still.
        func certificates(_ node: NodeConfiguration.Loaded, _ report: inout Report) {
            let named =
                [("node certificate", node.identity.certificate)]
                + node.identity.chain.dropFirst().map { ("member CA", $0) } + [("operator root", node.root)]
            var parts: [String] = []
            for (name, certificate) in named {
                let days = Int(certificate.notValidAfter.timeIntervalSinceNow / 86_400)
                let until = DocumentReader.formatTimestamp(certificate.notValidAfter)
                if days < self.expiryDays {
                    report.warn("certificates", "the \(name) expires in \(days) day(s), at \(until): renew it")
                }
                parts.append("\(name) until \(until) (\(days) days)")
            }
            report.ok("certificates", parts.joined(separator: ", "))
        }

        /// Every CRL in force: when the next one is due (an expired CRL fails every chain it covers).
        func revocationLists(_ node: NodeConfiguration.Loaded, _ report: inout Report) {
            var soonest: (file: String, at: Date)?
            for file in node.crlFiles {
                guard let list = try? CertificateRevocationList.read(file), let next = list.nextUpdate else { continue }
                if soonest.map({ next < $0.at }) ?? true { soonest = (file, next) }
            }
            guard let soonest else { return }
            let hours = soonest.at.timeIntervalSinceNow / 3600
            let line =
                "\(node.crlFiles.count) file(s), every issuer covered; the first due is \(soonest.file) at "
                + DocumentReader.formatTimestamp(soonest.at)
            if hours < 24 {
                report.warn("CRLs", line + String(format: " (in %.1f h): install its issuer's next CRL", hours))
            } else {
                report.ok("CRLs", line)
            }
        }

        /// The API port and, for a computing party, its MPC port: free to bind, or held by this node running (its API
        /// answers as this member over mutual TLS); held by anything else, the node could not start.
        func ports(_ node: NodeConfiguration.Loaded, _ report: inout Report) async {
            var ports = [("API", node.port)]
            if let entry = node.directory.member(node.member), entry.roles.contains(.compute),
                let mpc = entry.mpcAddress
            {
                ports.append(("MPC", mpc.port))
            }
            var running: Bool?
            for (name, port) in ports {
                do {
                    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                        .bind(host: node.host, port: port).get()
                    try await channel.close()
                    report.ok("ports", "\(name) \(node.host):\(port) is free")
                } catch let error as IOError where error.errnoCode == EADDRINUSE {
                    if running == nil { running = await Node.Health.answersAsItself(node) }
                    if running == true {
                        report.ok("ports", "\(name) \(node.host):\(port) is in use by this node, which is running")
                    } else {
                        report.fail(
                            "ports",
                            "\(name) \(node.host):\(port) is in use by another process: the node cannot start there")
                    }
                } catch {
                    report.fail("ports", "\(name) \(node.host):\(port) cannot be bound: \(error)")
                }
            }
        }

        /// The audit store answers and holds a log (or, for SQLite, does not exist yet).
        func store(_ node: NodeConfiguration.Loaded, _ report: inout Report) async {
            if case .sqlite(let path) = node.store, !FileManager.default.fileExists(atPath: path) {
                report.warn("store", "\(path) does not exist yet: the node creates it when it first starts")
                return
            }
            do {
                let head = try await AuditStores.with(node.store) { try await $0.head() }
                report.ok("store", "\(node.store) answers; its audit log holds \(head.size) entries")
            } catch {
                report.fail("store", "\(node.store): \(error)")
            }
        }

        /// The other computing parties (every computing party, from a node that is none): reachable over mutual
        /// TLS as themselves, and their clocks within `maxSkew` of ours (measured at the middle of the round trip).
        func peers(_ node: NodeConfiguration.Loaded, _ report: inout Report) async {
            let client = NodeClient(
                authentication: TLSPeerAuthentication(identity: node.identity, verifier: node.verifier))
            let peers = node.directory.members.filter { $0.roles.contains(.compute) && $0.id != node.member }
            for peer in peers {
                guard let endpoint = peer.endpoint else {
                    report.warn("peers", "\(peer.id) has no endpoint in the directory")
                    continue
                }
                let sent = Date()
                do {
                    let response = try await client.request(
                        .get, "/v1/health", to: endpoint, node: peer.id, timeout: .seconds(10))
                    let received = Date()
                    guard response.status == 200, let health = try? HealthResponse.decode(Array(response.body.utf8))
                    else {
                        report.warn("peers", "\(peer.id) at \(endpoint) answered \(response.status): \(response.body)")
                        continue
                    }
                    let middle = (sent.timeIntervalSince1970 + received.timeIntervalSince1970) / 2
                    let skew = health.time - middle
                    let line = String(
                        format: "%@ at %@: reachable over mutual TLS, clock %+.3f s from ours (round trip %.0f ms)",
                        peer.id.rawValue, endpoint.absoluteString, skew, received.timeIntervalSince(sent) * 1000)
                    if abs(skew) > self.maxSkew {
                        report.fail("peers", line + ": synchronise the clocks (NTP)")
                    } else if abs(skew) > self.maxSkew / 10 {
                        report.warn("peers", line)
                    } else {
                        report.ok("peers", line)
                    }
                } catch {
                    report.warn("peers", "\(peer.id) at \(endpoint) is unreachable: \(error)")
                }
            }
        }
    }

    /// The check lines as they are printed, and the count of each kind.
    struct Report {
        private(set) var failures = 0
        private(set) var warnings = 0

        func ok(_ check: String, _ text: String) { print("ok    \(check): \(text)") }

        mutating func warn(_ check: String, _ text: String) {
            self.warnings += 1
            print("warn  \(check): \(text)")
        }

        mutating func fail(_ check: String, _ text: String) {
            self.failures += 1
            print("FAIL  \(check): \(text)")
        }
    }
}
