import ArgumentParser
import ConsortMPC
import ConsortPKI
import ConsortTransport
import Crypto
import Foundation

extension Bench {
    /// One computing party of `consort bench mpc`, run as its own process (hidden: the parent starts three).
    struct MPCParty: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mpc-party",
            abstract: "Run one computing party of 'consort bench mpc' (started by it; also used by the failure tests).",
            shouldDisplay: false
        )

        @Option(help: "The benchmark directory: root.pem, party-I.key/.pem, party-I.shares, party-I.own.")
        var dir: String

        @Option(help: "This party's index, 0...2.")
        var party: Int

        @Option(help: "The operation.")
        var op: String

        @Option(help: "Number of rows.")
        var n: Int

        @Option(help: "The three parties' ports, comma-separated.")
        var ports: String

        @Option(help: "The three parties' addresses, comma-separated (each listens on its own).")
        var hosts: String = "127.0.0.1,127.0.0.1,127.0.0.1"

        @Option(help: "The three parties' member ids, comma-separated.")
        var members: String

        @Option(help: "Seconds a party waits for one round's message before the session fails.")
        var roundTimeout: Double = 30

        @Option(help: "Untimed runs of the operation before the timed ones.")
        var warmup: Int = 0

        @Option(help: "Timed runs of the operation (the failure tests use a long session); figures are per run.")
        var repeats: Int = 1

        @Option(help: "The replicated engine's security.")
        var security: EngineTraits.Security = .passive

        @Flag(help: "Keep the session's signed transcript.")
        var transcript = false

        @Option(help: "Cheat once in this way (see 'bench mpc --corrupt').")
        var deviate: String?

        func run() async throws {
            ParentWatch.startIfRequested()
            guard let operation = MPCBenchOperation(rawValue: op) else { throw ValidationError("unknown --op '\(op)'") }
            let portList = ports.split(separator: ",").compactMap { Int($0) }
            let memberList = try members.split(separator: ",").map { try MemberID(String($0)) }
            let hostList = hosts.split(separator: ",").map(String.init)
            guard (0..<3).contains(party), portList.count == 3, memberList.count == 3, hostList.count == 3 else {
                throw ValidationError("--party must be 0...2 and --ports/--hosts/--members must list three parties")
            }
            let identity = try SigningIdentity.load(identity: "\(dir)/party-\(party)")
            let root = try PEMFiles.readCertificates("\(dir)/root.pem")[0]
            let engine = try MPCBenchEngine.resolve(security: security)
            let envelope = try ShareEnvelope(
                bytes: Array(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/party-\(party).shares"))))
            let own = operation == .stats ? try MPCBenchEngine.readValues("\(dir)/party-\(party).own") : []

            var configuration = MPCTLSTransport.Configuration(
                party: party,
                peers: (0..<3).map { .init(party: $0, member: memberList[$0], host: hostList[$0], port: portList[$0]) },
                session: MPCPartyReport.sessionID(dir),
                authentication: TLSPeerAuthentication(identity: identity, verifier: ConsortVerifier(root: root))
            )
            configuration.roundTimeout = .milliseconds(Int(roundTimeout * 1000))
            configuration.keepsTranscript = self.transcript
            do {
                let transport = try await MPCTLSTransport.establish(configuration)
                do {
                    try await self.compute(engine, operation, transport: transport, envelope: envelope, own: own)
                } catch let error as MPCError {
                    transport.abort(error)
                    await transport.flushAbort()
                    throw error
                }
            } catch let error as MPCError {
                FileHandle.standardError.write(
                    Data("consort: MPC session failed [\(error.code)]: \(error.message)\n".utf8))
                try? JSONEncoder().encode(MPCPartyFailure(error)).write(
                    to: URL(fileURLWithPath: "\(dir)/party-\(party).failure.json"))
                throw ExitCode(3)
            }
        }

        private func compute<E: MPCEngine>(
            _ engine: E.Type, _ operation: MPCBenchOperation, transport: MPCTLSTransport, envelope: ShareEnvelope,
            own: [Int64]
        ) async throws {
            try envelope.check(
                MPCBenchEngine.header(E.self, party: party, columns: envelope.header.columns.count, rows: n),
                maximumRows: n)
            let shares = try envelope.shares(as: E.Share.self)
            var session = try await E.establish(transport: transport)
            if let deviate { try session.deviate(deviate) }
            // The failure tests wait for this line before they kill or freeze a party.
            FileHandle.standardOutput.write(Data("established\n".utf8))
            var result = E.Share.zeros(0)
            for _ in 0..<warmup {
                result = try await operation.run(&session, shares: shares, own: own, n: n)
            }
            try await session.verifyPending()
            try await transport.synchronize()
            let (bytesBefore, roundsBefore) = (session.bytesSent, session.rounds)
            let start = ContinuousClock.now
            for _ in 0..<max(1, repeats) {
                result = try await operation.run(&session, shares: shares, own: own, n: n)
            }
            // The clock stops when all three parties are done.
            try await session.finish()
            let elapsed = ContinuousClock.now - start
            let report = MPCPartyReport(
                seconds: elapsed.seconds / Double(max(1, repeats)),
                bytesSent: (session.bytesSent - bytesBefore) / max(1, repeats),
                rounds: (session.rounds - roundsBefore) / max(1, repeats), pendingDeviation: session.pendingDeviation)
            let header = MPCBenchEngine.header(E.self, party: party, columns: 1, rows: result.count)
            try Data(try ShareEnvelope(header: header, shares: [result]).bytes).write(
                to: URL(fileURLWithPath: "\(dir)/party-\(party).result"))
            try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: "\(dir)/party-\(party).report.json"))
        }
    }
}

/// What a party process measured, for the parent to combine.
struct MPCPartyReport: Codable {
    var seconds: Double
    var bytesSent: Int
    var rounds: Int
    /// A deviation this party was told to make that never came up (`--corrupt`).
    var pendingDeviation: String? = nil

    /// The session id the three parties of one benchmark directory agree on.
    static func sessionID(_ directory: String) -> [UInt8] {
        Array(SHA256.hash(data: Data("consort bench mpc \(directory)".utf8)).prefix(16))
    }
}

extension Duration {
    var seconds: Double { Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18 }
}
