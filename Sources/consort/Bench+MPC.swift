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

        @Option(help: "tls: three processes over mutual TLS (see --hosts); memory: three tasks in this process.")
        var transport: Transport = .tls

        @OptionGroup var placement: PartyPlacement

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

        @Option(
            help: ArgumentHelp(
                "Make one party cheat once: PARTY[:DEVIATION] (active engine; prints whether the others caught it).",
                discussion: "Deviations: \(MPCBenchCorruption.deviations.joined(separator: ", ")).",
                valueName: "party[:deviation]"))
        var corrupt: MPCBenchCorruption?

        enum Transport: String, ExpressibleByArgument { case tls, memory }

        func validate() throws {
            guard n > 0, n <= 1 << 24 else { throw ValidationError("--n must be between 1 and 16777216") }
            guard warmup >= 0, repeats >= 1 else { throw ValidationError("--warmup must be ≥ 0 and --repeats ≥ 1") }
            if op == .stats, n < 3 { throw ValidationError("stats needs at least 3 values (one per input party)") }
            if transport == .memory, !placement.isLocal {
                throw ValidationError("--hosts and --launch place the processes of --transport tls")
            }
        }

        func run() async throws {
            try await self.run(engine: try MPCBenchEngine.resolve(security: security))
        }

        private func run<E: MPCEngine>(engine: E.Type) async throws {
            let inputs = op.inputs(n)
            let dealt = try inputs.map { try E.deal($0, parties: 3) }
            let shares = (0..<3).map { party in dealt.map { $0[party] } }
            let own = (0..<3).map { Array(inputs[0][MPCBenchOperation.slice(n, party: $0)]) }
            let deviation = try self.corrupt.map { try $0.deviation(for: op, engine: E.self) }
            let outcomes: [Result<(MPCPartyReport, E.Share), MPCError>]
            switch transport {
            case .memory:
                outcomes = await Self.runInMemory(
                    E.self, shares: shares, own: own, op: op, n: n, warmup: warmup, repeats: repeats,
                    corrupt: self.corrupt.map { ($0.party, deviation!) })
            case .tls: outcomes = try await self.runProcesses(E.self, shares: shares, own: own, deviation: deviation)
            }
            if let corrupt = self.corrupt {
                try self.reportCorruption(corrupt.party, deviation!, outcomes: outcomes, engine: E.self)
                return
            }
            let (reports, results) = try Self.successes(outcomes)
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

        /// Every party's report and result, or the first party's error.
        private static func successes<Share>(_ outcomes: [Result<(MPCPartyReport, Share), MPCError>]) throws
            -> ([MPCPartyReport], [Share])
        {
            var reports: [MPCPartyReport] = []
            var results: [Share] = []
            for (party, outcome) in outcomes.enumerated() {
                switch outcome {
                case .success(let (report, result)):
                    reports.append(report)
                    results.append(result)
                case .failure(let error):
                    throw CommandFailure("computing party \(party) failed: [\(error.code)] \(error.message)")
                }
            }
            return (reports, results)
        }

        /// What `--corrupt` prints: whether the honest parties caught the cheat, whom they name, and that nothing was
        /// released.
        private func reportCorruption<E: MPCEngine>(
            _ cheater: Int, _ deviation: String, outcomes: [Result<(MPCPartyReport, E.Share), MPCError>],
            engine: E.Type
        ) throws {
            if case .success(let (party, _)) = outcomes[cheater], let pending = party.pendingDeviation {
                throw CommandFailure(
                    "'\(pending)' never came up in '\(op.rawValue)' (the operation has no such step): nothing to detect"
                )
            }
            let report = MPCCorruptionReport(
                op: op.rawValue, engine: E.traits.identity, n: n, cheater: cheater, deviation: deviation,
                outcomes: outcomes.map { outcome in
                    switch outcome {
                    case .success: return nil
                    case .failure(let error): return error
                    }
                })
            if json {
                print(String(decoding: try APIJSON.encode(report), as: UTF8.self))
            } else {
                print(report.text)
            }
            if !report.detected || report.released { throw ExitCode(2) }
        }

        private static func runInMemory<E: MPCEngine>(
            _ engine: E.Type, shares: [[E.Share]], own: [[Int64]], op: MPCBenchOperation, n: Int, warmup: Int,
            repeats: Int, corrupt: (party: Int, deviation: String)?
        ) async -> [Result<(MPCPartyReport, E.Share), MPCError>] {
            let network = InMemoryNetwork(parties: 3)
            return await withTaskGroup(of: (Int, Result<(MPCPartyReport, E.Share), MPCError>).self) { group in
                for party in 0..<3 {
                    group.addTask {
                        // A party that is done leaves: the others read what it sent, then fail rather than wait for
                        // more (a cheater that skips a step must not leave them hanging).
                        defer { network.disconnect(party) }
                        do {
                            return (
                                party,
                                .success(
                                    try await Self.runParty(
                                        E.self, network: network, party: party, shares: shares, own: own, op: op, n: n,
                                        warmup: warmup, repeats: repeats,
                                        deviation: corrupt?.party == party ? corrupt?.deviation : nil))
                            )
                        } catch {
                            return (party, .failure(error as? MPCError ?? MPCError(.protocolViolation, "\(error)")))
                        }
                    }
                }
                var collected = [Result<(MPCPartyReport, E.Share), MPCError>?](repeating: nil, count: 3)
                for await (party, outcome) in group { collected[party] = outcome }
                return collected.map { $0! }
            }
        }

        private static func runParty<E: MPCEngine>(
            _ engine: E.Type, network: InMemoryNetwork, party: Int, shares: [[E.Share]], own: [[Int64]],
            op: MPCBenchOperation, n: Int, warmup: Int, repeats: Int, deviation: String?
        ) async throws -> (MPCPartyReport, E.Share) {
            let transport = network.transport(for: party)
            var session = try await E.establish(transport: transport)
            if let deviation { try session.deviate(deviation) }
            for _ in 0..<warmup {
                _ = try await op.run(&session, shares: shares[party], own: own[party], n: n)
            }
            try await session.verifyPending()
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
                rounds: (session.rounds - roundsBefore) / repeats, pendingDeviation: session.pendingDeviation)
            return (report, result)
        }

        private func runProcesses<E: MPCEngine>(
            _ engine: E.Type, shares: [[E.Share]], own: [[Int64]], deviation: String?
        ) async throws -> [Result<(MPCPartyReport, E.Share), MPCError>] {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
                "consort-bench-mpc-\(UUID().uuidString)"
            ).path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let members = try MPCBenchConsortium.create(in: directory, hosts: (0..<3).map(placement.host))
            for party in 0..<3 {
                let header = MPCBenchEngine.header(E.self, party: party, columns: shares[party].count, rows: n)
                try Data(try ShareEnvelope(header: header, shares: shares[party]).bytes).write(
                    to: URL(fileURLWithPath: "\(directory)/party-\(party).shares"))
                try MPCBenchEngine.writeValues(own[party], to: "\(directory)/party-\(party).own")
            }
            let ports = try FreePort.loopback(count: 3)
            var processes: [Process] = []
            for party in 0..<3 {
                let process = placement.process(
                    party,
                    arguments: [
                        "bench", "mpc-party", "--dir", directory, "--party", "\(party)", "--op", op.rawValue, "--n",
                        "\(n)",
                        "--ports", ports.map(String.init).joined(separator: ","),
                        "--hosts", (0..<3).map(placement.host).joined(separator: ","), "--members",
                        members.joined(separator: ","), "--warmup", "\(warmup)", "--repeats", "\(repeats)",
                        "--security", security.rawValue,
                    ] + (self.transcript ? ["--transcript"] : [])
                        + (self.corrupt?.party == party ? ["--deviate", deviation!] : []))
                process.standardOutput = FileHandle.nullDevice
                process.standardError = try FileHandle(forWritingTo: Self.touch("\(directory)/party-\(party).log"))
                try process.run()
                processes.append(process)
            }
            for process in processes { process.waitUntilExit() }
            return try processes.enumerated().map { party, process in
                guard process.terminationStatus == 0 else {
                    // A party whose session failed says why (and whom it suspects) in party-I.failure.json.
                    if let failure = try? JSONDecoder().decode(
                        MPCPartyFailure.self,
                        from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/party-\(party).failure.json")))
                    {
                        return .failure(failure.error)
                    }
                    let log = (try? String(contentsOfFile: "\(directory)/party-\(party).log", encoding: .utf8)) ?? ""
                    throw CommandFailure(
                        "computing party \(party) failed (exit \(process.terminationStatus)): \(log.trimmingCharacters(in: .whitespacesAndNewlines))"
                    )
                }
                let report = try JSONDecoder().decode(
                    MPCPartyReport.self,
                    from: Data(contentsOf: URL(fileURLWithPath: "\(directory)/party-\(party).report.json")))
                let result = try ShareEnvelope(
                    bytes: Array(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/party-\(party).result")))
                ).shares(as: E.Share.self)[0]
                return .success((report, result))
            }
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

/// A throwaway consortium for the benchmark: root.pem and party-I.key/.pem (nodes of members cp-a, cp-b, cp-c, at
/// `hosts`).
enum MPCBenchConsortium {
    static func create(in directory: String, hosts: [String]) throws -> [String] {
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
            try authority.issueNode(ipAddresses: [hosts[party]]).write(directory: directory, name: "party-\(party)")
        }
        return members
    }
}
