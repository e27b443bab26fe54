import ConsortAudit
import ConsortPKI
import ConsortSpec
import ConsortTransport
import Foundation
import X509

/// A service node's configuration file (`node/1`, written by `consort node init`). Paths are relative to the file.
///
///     {"consort": "node/1", "member": "cp-a", "identity": "cp-a/node", "root": "op/operator.pem",
///      "directory": "directory.json", "listen": "127.0.0.1:7443", "store": "sqlite:data/audit.db", "data": "data",
///      "roundTimeoutSeconds": 30, "logLevel": "info"}
package struct NodeConfiguration: Codable, Sendable, Equatable {
    package static let format = "node/1"

    package var consort: String = Self.format
    /// The member this node belongs to.
    package var member: String
    /// The node identity: IDENTITY.key + IDENTITY.pem (as `consort pki issue --kind node` writes).
    package var identity: String
    /// The operator root certificate (PEM): the only trust anchor.
    package var root: String
    /// The operator-signed member directory.
    package var directory: String
    /// HOST:PORT of the mutual-TLS API listener.
    package var listen: String
    /// The audit store: `sqlite:PATH` (embedded default) or `postgres://user@host:port/db`.
    package var store: String
    /// Where the node keeps task data (input shares, results).
    package var data: String
    package var roundTimeoutSeconds: Double = 30
    /// How long a computing party in a session may send nothing at all, not even a heartbeat, before the session
    /// fails (default 5 s; `Specs/wire-protocol.md`).
    package var silenceLimitSeconds: Double? = nil
    /// How long a session gives the other computing parties to connect once all of them have their inputs, and how
    /// long one may be unreachable before a task whose inputs are complete aborts without it (default 20 s).
    package var sessionConnectSeconds: Double? = nil
    package var logLevel: String = "info"
    /// How often the node enforces deadlines and retention (default 1 s).
    package var deadlineCheckSeconds: Double? = nil
    /// The shortest time between two checkpoints of the audit log, each countersigned by the other computing parties
    /// (default 10 s; a checkpoint is taken only when the log has grown).
    package var checkpointSeconds: Double? = nil
    /// CRL files (PEM): the operator's for member CAs and each member's for its users and nodes, one for every issuer
    /// (the node does not start otherwise). A certificate they revoke is refused; a CRL past its nextUpdate makes
    /// every chain it covers fail. The node re-reads the files when they change, so a fresh CRL needs no restart.
    package var crls: [String]? = nil
    /// How often the node asks the other computing parties how its live tasks stand, to follow a halt or an abort it
    /// missed while down (default 30 s; also once at start-up).
    package var reconcileSeconds: Double? = nil
    /// Keep a signed transcript of every MPC session (every message hashed both ways, the peers' signed claims
    /// checked at the end and written to the audit log, for `audit verify` to cross-check): default on for actively
    /// secure engines, which need it for blame, off for passive ones (it costs hashing every message).
    package var mpcTranscripts: Bool? = nil
    /// Rows a computation reads at a time where its query allows (one table, only COUNT/SUM/AVG/VAR/STDDEV): memory
    /// follows this, not the table's size (default 131,072; each chunk adds the rounds of one).
    package var chunkRows: Int? = nil
    /// HOST:PORT of the member's web UI (plain HTTP for the member's own people; loopback unless `uiAllowRemote`).
    /// None: no web UI.
    package var ui: String? = nil
    /// Whether the web UI takes connections from other machines (default no; put TLS in front of it if so).
    package var uiAllowRemote: Bool? = nil
    /// The member's identities the node uses for its people (`DIR/NAME`, key and chain), by internal role: the web UI
    /// signs with `signer`. Files readable by the node's user only.
    package var identities: [String: String]? = nil
    /// How often the node tries again to deliver proposals and answers another member's node did not take (default 2 s).
    package var proposalRetrySeconds: Double? = nil
    /// How often the node looks for changed CRL files (default 10 s).
    package var crlCheckSeconds: Double? = nil
    /// How long a connection may take to complete its TLS handshake (default 10 s), on the API and the MPC port.
    package var handshakeTimeoutSeconds: Double? = nil
    /// How long an API connection may sit idle between requests (default 60 s).
    package var idleTimeoutSeconds: Double? = nil
    /// Connections one IP address may hold open at once, on each port (default 64).
    package var maxConnectionsPerAddress: Int? = nil

    /// `sessionConnectSeconds`, default filled in.
    package var sessionConnectTimeout: Duration { .milliseconds(Int((self.sessionConnectSeconds ?? 20) * 1000)) }

    /// The connection limits of this configuration, defaults filled in.
    package var connectionLimits: ConnectionLimiter.Limits {
        ConnectionLimiter.Limits(
            handshakeTimeout: .milliseconds(Int((self.handshakeTimeoutSeconds ?? 10) * 1000)),
            maximumPerAddress: self.maxConnectionsPerAddress ?? 64)
    }

    package init(
        member: String, identity: String, root: String, directory: String, listen: String, store: String, data: String
    ) {
        self.member = member
        self.identity = identity
        self.root = root
        self.directory = directory
        self.listen = listen
        self.store = store
        self.data = data
    }

    /// Everything the configuration points at, loaded and checked.
    package struct Loaded: Sendable {
        package var configuration: NodeConfiguration
        package var member: MemberID
        package var identity: SigningIdentity
        package var root: Certificate
        /// The directory in force (replaced while the node runs when the operator installs a newer one).
        package var directory: MemberDirectory { self.directoryInForce.current }
        package let directoryInForce: DirectoryInForce
        /// The directory file, resolved: where `DirectoryRefresher` looks for a newer version.
        package var directoryFile: String
        package var host: String
        package var port: Int
        package var store: AuditStores.Address
        /// The data directory, resolved.
        package var dataDirectory: String
        /// The verifier every peer and signer is checked with: operator root and the configured CRLs, required for
        /// every issuer.
        package var verifier: ConsortVerifier
        /// The CRL files, resolved.
        package var crlFiles: [String]
        /// `identities`, paths resolved.
        package var identities: [String: String] = [:]

        /// Every CA whose certificates this node checks: the operator root and each member CA of the directory.
        package var issuers: [(name: String, certificate: Certificate)] {
            [("the operator root", self.root)]
                + self.directory.members.map { ("member '\($0.id)'", $0.certificate) }
        }
    }

    /// The data directory, relative paths taken from the configuration file's folder (as `load` does).
    package func resolvedData(relativeTo configurationFile: String) -> String {
        let base = URL(fileURLWithPath: configurationFile).deletingLastPathComponent().path
        return self.data.hasPrefix("/") ? self.data : "\(base)/\(self.data)"
    }

    package static func read(_ path: String) throws -> NodeConfiguration {
        do {
            return try JSONDecoder().decode(NodeConfiguration.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch let error as DecodingError {
            throw NodeError(.configuration, "\(path) is not a node configuration: \(error)")
        } catch {
            throw NodeError(.configuration, "cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// Loads and checks: the identity is this member's node certificate under the root, the directory verifies under
    /// the root and lists this member, the listen address and store address parse.
    package func load(relativeTo base: String) async throws -> Loaded {
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : "\(base)/\(path)" }
        guard self.consort == Self.format else {
            throw NodeError(.configuration, "unknown configuration format '\(self.consort)' (expected \(Self.format))")
        }
        let member: MemberID
        do { member = try MemberID(self.member) } catch {
            throw NodeError(.configuration, "'\(self.member)' is not a member id: \(error)")
        }
        try Self.requireOwnerOnly(resolve(self.identity) + ".key")
        let identity = try SigningIdentity.load(identity: resolve(self.identity))
        guard let root = try PEMFiles.readCertificates(resolve(self.root)).first else {
            throw NodeError(.configuration, "\(self.root) holds no certificate")
        }
        let directoryFile = resolve(self.directory)
        let directory = try MemberDirectory.verify(
            Array(try Data(contentsOf: URL(fileURLWithPath: directoryFile))), root: root)
        guard directory.member(member) != nil else {
            throw NodeError(.configuration, "the directory \(self.directory) does not list '\(member)'")
        }
        // Revocation fails closed: a current CRL of every issuer, or the node does not start.
        let crlFiles = (self.crls ?? []).map(resolve)
        let crls = try Self.readCRLs(crlFiles)
        let issuers = [("the operator root", root)] + directory.members.map { ("member '\($0.id)'", $0.certificate) }
        let problems = RevocationLists.coverageProblems(crls, issuers: issuers, at: Date())
        guard problems.isEmpty else {
            throw NodeError(
                .configuration,
                "a node checks revocation for every issuer and needs a current CRL of each (\"crls\" in the "
                    + "configuration, --crl for 'node init'; 'consort pki crl --ca DIR --out FILE' issues one): "
                    + problems.joined(separator: "; "))
        }
        let verifier = ConsortVerifier(
            root: root, revocation: RevocationLists(crls), requireRevocationInformation: true)
        let verified = try await verifier.verify(chain: identity.chain, usage: .server)
        guard verified.identity == .node(member) else {
            throw NodeError(
                .configuration,
                "\(self.identity).pem is \(verified.identity.map { "\($0)" } ?? verified.subject), not the node of '\(member)'"
            )
        }
        guard let colon = self.listen.lastIndex(of: ":"),
            let port = Int(self.listen[self.listen.index(after: colon)...]), (1...65_535).contains(port)
        else {
            throw NodeError(.configuration, "listen '\(self.listen)' is not HOST:PORT")
        }
        // The member's identities for its people: each a user of this member holding the role it is named for, its
        // key readable by the node's user only. Checked now, so a wrong path or certificate stops the start.
        var identities: [String: String] = [:]
        for (name, path) in (self.identities ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let role = InternalRole(rawValue: name) else {
                throw NodeError(
                    .configuration,
                    "identities: '\(name)' is not an internal role (\(InternalRole.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            let resolved = resolve(path)
            try Self.requireOwnerOnly(resolved + ".key")
            let user: SigningIdentity
            do { user = try SigningIdentity.load(identity: resolved) } catch {
                throw NodeError(.configuration, "identities.\(name): cannot load \(resolved).key and .pem: \(error)")
            }
            let checked: VerifiedIdentity
            do {
                checked = try await verifier.verify(chain: user.chain, usage: role == .signer ? .signer : .client)
            } catch {
                throw NodeError(.configuration, "identities.\(name): \(resolved).pem does not verify: \(error)")
            }
            guard checked.kind == .user, checked.memberID == member, checked.internalRoles.contains(role) else {
                throw NodeError(
                    .configuration,
                    "identities.\(name): \(resolved).pem is \(checked.subject), not a user of '\(member)' with the role \(name)"
                )
            }
            identities[name] = resolved
        }
        var store = self.store
        if store.hasPrefix("sqlite:"), !store.hasPrefix("sqlite:/") {
            store = "sqlite:" + resolve(String(store.dropFirst("sqlite:".count)))
        }
        return Loaded(
            configuration: self, member: member, identity: identity, root: root,
            directoryInForce: DirectoryInForce(directory), directoryFile: directoryFile,
            host: String(self.listen[..<colon]), port: port, store: try AuditStores.Address(store),
            dataDirectory: resolve(self.data), verifier: verifier, crlFiles: crlFiles, identities: identities)
    }

    /// A private key must be readable by its owner only (as ssh requires of its keys).
    static func requireOwnerOnly(_ path: String) throws {
        guard let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int else {
            throw NodeError(.configuration, "cannot read the key \(path)")
        }
        guard mode & 0o077 == 0 else {
            throw NodeError(
                .configuration,
                "the key \(path) is open to other users (mode \(String(mode & 0o777, radix: 8))): chmod 600 \(path)")
        }
    }

    /// Reads CRL files, naming the one that cannot be read.
    package static func readCRLs(_ paths: [String]) throws -> [CertificateRevocationList] {
        try paths.map { path in
            do { return try CertificateRevocationList.read(path) } catch {
                throw NodeError(.configuration, "cannot read the CRL \(path): \(error)", underlying: error)
            }
        }
    }
}
