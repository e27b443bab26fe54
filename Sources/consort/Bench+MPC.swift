import ArgumentParser
import ConsortClient
import ConsortMPC
import ConsortPKI
import ConsortTransport
import Crypto
import Foundation

extension MPCBenchOperation: ExpressibleByArgument {}

extension Bench {
    struct MPCBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mpc",
            abstract:
                "Run one MPC operation between three computing-party processes over mutual TLS and report its speed.",
            discussion: """
                Generates a throwaway consortium (operator root, three member CAs, three node certificates), shares
                random inputs as an external input party would, starts three 'consort bench mpc-party' processes on
                127.0.0.1, reconstructs their result and checks it against the plaintext computation. Seconds are
                the slowest party's time for one run of the operation, after the TLS sessions are up and --warmup
                untimed runs in the same session (as in a long-running node); bytes are the ring elements each party
                sends, without the 29-byte header per frame of up to 1 MiB.

                'stats' lets each party share its own third of the n values (12-bit integers) inside the timed part,
                then computes the sum, sum of squares, mean and variance.

                Example:
                  swift run -c release consort bench mpc --op mul --n 1000000
                """
        )

        @Option(help: "The operation: \(MPCBenchOperation.allCases.map(\.rawValue).joined(separator: ", ")).")
        var op: MPCBenchOperation

        @Option(help: "Number of rows (operations).")
        var n: Int

        @Option(help: "tls: three processes over mutual TLS on 127.0.0.1; memory: three tasks in this process.")
        var transport: Transport = .tls

        @Flag(help: "Print one JSON object instead of text.")
        var json = false

        @Option(
            help: "Untimed warm-up runs of the operation in the same session first (TCP windows, allocator, caches).")
        var warmup: Int = 1

        @Option(help: "Timed runs; the figures are per run.")
        var repeats: Int = 1

        @Option(help: "The replicated engine's security: passive (or active, where this build has it).")
        var security: EngineTraits.Security = .passive

        @Flag(help: "Over TLS, keep each party's signed session transcript (every message hashed; checked at the end).")
        var transcript = false

        enum Transport: String, ExpressibleByArgument { case tls, memory }

        func validate() throws {
            guard n > 0, n <= 1 << 24 else { throw ValidationError("--n must be between 1 and 16777216") }
            guard warmup >= 0, repeats >= 1 else { throw ValidationError("--warmup must be ≥ 0 and --repeats ≥ 1") }
            if op == .stats, n < 3 { throw ValidationError("stats needs at least 3 values (one per input party)") }
        }

        func run() async throws {
            try await self.run(engine: try MPCBenchEngine.resolve(security: security))
        }

        private func run<E: MPCEngine>(engine: E.Type) async throws {
            let inputs = op.inputs(n)
            let dealt = try inputs.map { try E.deal($0, parties: 3) }
            let shares = (0..<3).map { party in dealt.map { $0[party] } }
            let own = (0..<3).map { Array(inputs[0][MPCBenchOperation.slice(n, party: $0)]) }
            let reports: [MPCPartyReport]
            let results: [E.Share]
            switch transport {
            case .memory:
                (reports, results) = try await Self.runInMemory(
                    E.self, shares: shares, own: own, op: op, n: n, warmup: warmup, repeats: repeats)
            case .tls: (reports, results) = try await self.runProcesses(E.self, shares: shares, own: own)
            }
            let correct = op.check(try E.combine(results), inputs: op == .stats ? [inputs[0]] : inputs)
            let seconds = reports.map(\.seconds).max()!
            let bytesPerOp = Double(reports.map(\.bytesSent).reduce(0, +)) / 3 / Double(n)
            let rounds = reports.map(\.rounds).max()!
            if json {
                let summary = MPCBenchSummary(
                    op: op.rawValue, engine: E.traits.identity, n: n, seconds: seconds,
                    opsPerSecond: (Double(n) / seconds).rounded(), bytesPerPartyPerOp: bytesPerOp, rounds: rounds,
                    correct: correct, transcript: self.transcript && transport == .tls)
                print(String(decoding: try APIJSON.encode(summary), as: UTF8.self))
            } else {
                print(
                    "\(op.rawValue) n=\(n) over \(transport.rawValue): \(String(format: "%.3f", seconds)) s, "
                        + "\(Int((Double(n) / seconds).rounded())) ops/s, \(String(format: "%.2f", bytesPerOp)) bytes/party/op, "
                        + "\(rounds) rounds, \(correct ? "correct" : "WRONG RESULT")"
                        + "\(self.transcript && transport == .tls ? ", signed transcripts" : "") "
                        + "(parties: \(reports.map { String(format: "%.3f", $0.seconds) }.joined(separator: " / ")) s)")
            }
            if !correct { throw ExitCode(2) }
        }

        private static func runInMemory<E: MPCEngine>(
            _ engine: E.Type, shares: [[E.Share]], own: [[Int64]], op: MPCBenchOperation, n: Int, warmup: Int,
            repeats: Int
        ) async throws -> ([MPCPartyReport], [E.Share]) {
            MemoryTuning.keepLargeAllocations()
            let network = InMemoryNetwork(parties: 3)
            return try await withThrowingTaskGroup(of: (Int, MPCPartyReport, E.Share).self) { group in
                for party in 0..<3 {
                    group.addTask {
                        let transport = network.transport(for: party)
                        var session = try await E.establish(transport: transport)
                        for _ in 0..<warmup {
                            _ = try await op.run(&session, shares: shares[party], own: own[party], n: n)
                        }
                        try await transport.synchronize()
                        let (bytesBefore, roundsBefore) = (session.bytesSent, session.rounds)
                        let start = ContinuousClock.now
                        var result = E.Share.zeros(0)
                        for _ in 0..<repeats {
                            result = try await op.run(&session, shares: shares[party], own: own[party], n: n)
                        }
                        try await session.finish()
                        let report = MPCPartyReport(
                            seconds: (ContinuousClock.now - start).seconds / Double(repeats),
                            bytesSent: (session.bytesSent - bytesBefore) / repeats,
                            rounds: (session.rounds - roundsBefore) / repeats)
                        return (party, report, result)
                    }
                }
                var collected = [(MPCPartyReport, E.Share)?](repeating: nil, count: 3)
                for try await (party, report, result) in group { collected[party] = (report, result) }
                return (collected.map { $0!.0 }, collected.map { $0!.1 })
            }
        }

        private func runProcesses<E: MPCEngine>(_ engine: E.Type, shares: [[E.Share]], own: [[Int64]]) async throws -> (
            [MPCPartyReport], [E.Share]
        ) {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "consort-bench-mpc-\(UUID().uuidString)"
            ).path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let members = try MPCBenchConsortium.create(in: directory)
            for party in 0..<3 {
                let header = MPCBenchEngine.header(E.self, party: party, columns: shares[party].count, rows: n)
                try Data(try ShareEnvelope(header: header, shares: shares[party]).bytes).write(
                    to: URL(fileURLWithPath: "\(directory)/party-\(party).shares"))
                try MPCBenchEngine.writeValues(own[party], to: "\(directory)/party-\(party).own")
            }
            let ports = try FreePort.loopback(count: 3)
            let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            var processes: [Process] = []
            for party in 0..<3 {
                let process = Process()
                process.executableURL = executable
                process.arguments =
                    [
                        "bench", "mpc-party", "--dir", directory, "--party", "\(party)", "--op", op.rawValue, "--n",
                        "\(n)",
                        "--ports", ports.map(String.init).joined(separator: ","), "--members",
                        members.joined(separator: ","), "--warmup", "\(warmup)", "--repeats", "\(repeats)",
                        "--security", security.rawValue,
                    ] + (self.transcript ? ["--transcript"] : [])
                process.standardOutput = FileHandle.nullDevice
                process.standardError = try FileHandle(forWritingTo: Self.touch("\(directory)/party-\(party).log"))
                try process.run()
                processes.append(process)
            }
            for process in processes { process.waitUntilExit() }
            for (party, process) in processes.enumerated() where process.terminationStatus != 0 {
                let log = (try? String(contentsOfFile: "\(directory)/party-\(party).log", encoding: .utf8)) ?? ""
                throw CommandFailure(
                    "computing party \(party) failed (exit \(process.terminationStatus)): \(log.trimmingCharacters(in: .whitespacesAndNewlines))"
                )
            }
            let reports = try (0..<3).map {
                try JSONDecoder().decode(
                    MPCPartyReport.self,
                    from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/party-\($0).report.json")))
            }
            let results = try (0..<3).map { party in
                try ShareEnvelope(
                    bytes: Array(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/party-\(party).result")))
                ).shares(as: E.Share.self)[0]
            }
            return (reports, results)
        }

        private static func touch(_ path: String) -> URL {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            return URL(fileURLWithPath: path)
        }
    }
}

/// What `consort bench mpc --json` prints.
struct MPCBenchSummary: Codable {
    var op: String
    var engine: String
    var n: Int
    var seconds: Double
    var opsPerSecond: Double
    var bytesPerPartyPerOp: Double
    var rounds: Int
    var correct: Bool
    /// Whether the parties kept signed session transcripts.
    var transcript: Bool
}

/// A throwaway consortium for the benchmark: root.pem and party-I.key/.pem (nodes of members cp-a, cp-b, cp-c).
enum MPCBenchConsortium {
    static func create(in directory: String) throws -> [String] {
        let (rootCertificate, rootKey) = try OperatorAuthority.createRoot(name: "Bench Operator")
        let root = try CertificateAuthority(
            kind: .operator, certificate: rootCertificate, privateKey: rootKey, directory: directory)
        try PEMFiles.write(try PEMFiles.pem([rootCertificate]), to: "\(directory)/root.pem")
        let members = ["cp-a", "cp-b", "cp-c"]
        for (party, member) in members.enumerated() {
            let key = P256.Signing.PrivateKey()
            let request = try MemberRequest.create(
                member: try MemberID(member), organisation: "Bench \(member)", key: key)
            let certificate = try OperatorAuthority.admit(request, by: root, roles: [.compute])
            let authority = try MemberAuthority(
                CertificateAuthority(kind: .member, certificate: certificate, privateKey: key, directory: directory))
            try authority.issueNode(ipAddresses: ["127.0.0.1"]).write(directory: directory, name: "party-\(party)")
        }
        return members
    }
}
