import ConsortClient
import ConsortNode
import ConsortPKI
import ConsortSpec
import ConsortTransport
import Crypto
import Foundation
import X509

#if canImport(Glibc)
    import Glibc
#endif

/// The demo's consortium on this machine, in one folder: an operator root, seven members each with its CA, a signed
/// directory listing the nodes of `nodes` (at `hosts`, by default 127.0.0.1), a current CRL of every issuer; and the node processes,
/// started from this executable (`consort node run`) and stopped with it.
final class DemoConsortium {
    static let members: [(id: String, name: String, roles: Set<MemberRole>)] = [
        ("nso-north", "Statistics North", [.input]), ("nso-south", "Statistics South", [.input]),
        ("eurostat", "Eurostat", [.output]),
        ("cp-a", "Compute A", [.compute]), ("cp-b", "Compute B", [.compute]), ("cp-c", "Compute C", [.compute]),
        ("auditor", "Audit Office", [.auditor]),
    ]
    static let computing = ["cp-a", "cp-b", "cp-c"]

    let root: String
    let rootCertificate: Certificate
    let directory: MemberDirectory
    let crls: [String]
    /// The API port of each member with a node (its MPC listener is the next port), and its address.
    let ports: [String: Int]
    let hosts: [String: String]
    private let authorities: [String: MemberAuthority]
    private(set) var processes: [(id: String, process: Process)] = []

    init(in root: String, nodes: [String], hosts: [String: String] = [:]) throws {
        self.root = root
        let hosts = Dictionary(uniqueKeysWithValues: nodes.map { ($0, hosts[$0] ?? "127.0.0.1") })
        self.hosts = hosts
        let (rootCertificate, rootKey) = try OperatorAuthority.createRoot(name: "Demo Operator")
        let operatorCA = try CertificateAuthority(
            kind: .operator, certificate: rootCertificate, privateKey: rootKey, directory: root)
        try PEMFiles.write(try PEMFiles.pem([rootCertificate]), to: "\(root)/operator.pem")
        var authorities: [String: MemberAuthority] = [:]
        for (id, name, roles) in Self.members {
            let key = P256.Signing.PrivateKey()
            let request = try MemberRequest.create(member: try MemberID(id), organisation: name, key: key)
            let certificate = try OperatorAuthority.admit(request, by: operatorCA, roles: roles)
            authorities[id] = try MemberAuthority(
                CertificateAuthority(kind: .member, certificate: certificate, privateKey: key, directory: root))
            try FileManager.default.createDirectory(atPath: "\(root)/\(id)", withIntermediateDirectories: true)
        }
        // API ports with a free port above each for the node's MPC listener.
        let ports = Dictionary(uniqueKeysWithValues: zip(nodes, try FreePort.nodePorts(count: nodes.count)))
        let members: [MemberDirectory.Member] = try Self.members.map { id, name, roles in
            .init(
                id: try MemberID(id), name: name, roles: roles, certificate: authorities[id]!.authority.certificate,
                endpoint: ports[id].flatMap { URL(string: "https://\(hosts[id]!):\($0)") })
        }
        let directory = try MemberDirectory(checking: members, issuedAt: Date())
        try Data(try directory.signed(by: rootCertificate, key: rootKey)).write(
            to: URL(fileURLWithPath: "\(root)/directory.json"))
        // A current CRL of every issuer (nodes refuse to start without one): the operator's, and each member CA's.
        var crls: [String] = []
        for (name, authority) in [("operator", operatorCA)]
            + Self.members.map({ ($0.id, authorities[$0.id]!.authority) })
        {
            let path = "\(root)/crls/\(name).crl"
            let crl = try CertificateRevocationList.issue(
                issuer: authority.certificate, key: authority.privateKey, entries: [], crlNumber: 1,
                thisUpdate: Date().addingTimeInterval(-60), nextUpdate: Date().addingTimeInterval(7 * 86_400))
            try PEMFiles.write(crl.pemString, to: path)
            crls.append(path)
        }
        (self.rootCertificate, self.directory, self.crls, self.ports, self.authorities) = (
            rootCertificate, directory, crls, ports, authorities
        )
    }

    /// A user certificate of member `id` with `roles`, written as `ROOT/ID/NAME`; returns that identity path.
    @discardableResult
    func user(_ id: String, _ name: String, _ roles: Set<InternalRole>) throws -> String {
        try self.authorities[id]!.issueUser(name: name, roles: roles).write(directory: "\(self.root)/\(id)", name: name)
        return "\(self.root)/\(id)/\(name)"
    }

    /// A client of the consortium's nodes acting as the identity at `path`.
    func client(_ path: String) throws -> MemberClient {
        MemberClient(
            identity: try SigningIdentity.load(identity: path), root: self.rootCertificate, directory: self.directory)
    }

    /// Member `id`'s node configuration (its node certificate written as `ROOT/ID/node`), storing at `store`.
    func configuration(_ id: String, store: String) throws -> NodeConfiguration {
        try self.authorities[id]!.issueNode(ipAddresses: [self.hosts[id]!]).write(
            directory: "\(self.root)/\(id)", name: "node")
        var configuration = NodeConfiguration(
            member: id, identity: "\(self.root)/\(id)/node", root: "\(self.root)/operator.pem",
            directory: "\(self.root)/directory.json", listen: "\(self.hosts[id]!):\(self.ports[id]!)", store: store,
            data: "\(self.root)/\(id)/data")
        configuration.checkpointSeconds = 1  // a short demo: checkpoint (and countersign) as soon as the log grows
        configuration.crls = self.crls
        return configuration
    }

    /// Where `start` writes member `id`'s configuration.
    func configurationPath(_ id: String) -> String { "\(self.root)/\(id)/node.json" }

    /// Writes `ROOT/ID/node.json` and starts the node (its output in `ROOT/ID/node.log`): `process`, or this
    /// executable's `node run` with that configuration.
    func start(_ id: String, _ configuration: NodeConfiguration, process: Process? = nil) throws {
        let path = self.configurationPath(id)
        try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: path))
        let process = process ?? Process()
        if process.executableURL == nil {
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            process.arguments = ["node", "run", "--config", path]
        }
        _ = FileManager.default.createFile(atPath: "\(self.root)/\(id)/node.log", contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(self.root)/\(id)/node.log"))
        process.standardError = process.standardOutput
        try process.run()
        self.processes.append((id, process))
    }

    /// Waits until every started node accepts connections (60 s each), or says why one does not.
    func waitUntilListening() async throws {
        for (id, process) in self.processes {
            let deadline = ContinuousClock.now + .seconds(60)
            while !FreePort.accepts(self.ports[id]!, host: self.hosts[id]!) {
                guard process.isRunning, ContinuousClock.now < deadline else {
                    // The log's last lines say why (the directory may be gone once the demo ends).
                    let log = "\(self.root)/\(id)/node.log"
                    let tail = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
                        .suffix(5).joined(separator: "\n")
                    throw CommandFailure(
                        "node \(id) \(process.isRunning ? "did not listen within 60 s" : "exited") (see \(log)):\n\(tail)"
                    )
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Stops every node gracefully and waits for it.
    func stop() {
        for (_, process) in self.processes where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        for (_, process) in self.processes { process.waitUntilExit() }
    }

    deinit {
        for (_, process) in self.processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
