import ConsortMPC
import ConsortPKI
import ConsortSpec
import ConsortTesting
import ConsortTransport
import Foundation
import Testing

@Suite("MPC over mutual TLS")
struct MPCTLSTransportTests {
    static func configuration(
        _ network: TestMPCNetwork, party: Int, identity: SigningIdentity? = nil, session: [UInt8],
        roundTimeout: Duration = .seconds(30)
    ) -> MPCTLSTransport.Configuration {
        let peers = (0..<3).map {
            MPCTLSTransport.Peer(party: $0, member: network.members[$0], host: "127.0.0.1", port: network.ports[$0])
        }
        var configuration = MPCTLSTransport.Configuration(
            party: party, peers: peers, session: session,
            authentication: TLSPeerAuthentication(
                identity: identity ?? network.nodes[party], verifier: network.consortium.verifier())
        )
        // The production defaults: with the whole suite on two cores, a round of these tests once took over 10 s.
        configuration.roundTimeout = roundTimeout
        configuration.connectTimeout = .seconds(20)
        configuration.silenceLimit = .seconds(30)
        return configuration
    }

    @Test("every operation over real TLS sockets equals the plaintext function, edge values included")
    func everyOperationOverTLS() async throws {
        let network = try TestMPCNetwork()
        let session = (0..<16).map { _ in UInt8.random(in: 0...255) }
        var generator = SplitMix64(seed: 5)
        let edges: [UInt64] = [0, 1, 2, UInt64(1) << 63, UInt64.max, UInt64.max - 1, 1 << 32, (1 << 63) - 1]
        let x = edges + (0..<600).map { _ in generator.next() }
        let y = Array(x.reversed())
        // Signed values |v| < 2^40 for comparisons, truncation and fixed point; negatives included.
        let signed: [Int64] =
            [0, 1, -1, (1 << 40) - 1, -((1 << 40) - 1), 2, -2]
            + (0..<601).map { _ in Int64.random(in: -(1 << 40)...(1 << 40), using: &generator) }
        let a = signed.map { UInt64(bitPattern: $0) }
        let b = Array(a.reversed())
        let small = (0..<608).map { UInt64($0 % 97) * 1_000 + 1 }  // positive divisors and radicands
        // Fixed-point factors |v| < 2^24 (raw), so exact products stay inside the ring.
        let fa = signed.map { UInt64(bitPattern: $0 >> 16) }
        let fb = Array(fa.reversed())
        let shares = [x, y, a, b, small, fa, fb].map { Replicated3.share($0).shares }
        let fp = FixedPoint.standard
        typealias Outputs = [Replicated3.Share]
        let results = try await withThrowingTaskGroup(of: (Int, Outputs).self) { group in
            for party in 0..<3 {
                group.addTask {
                    let transport = try await MPCTLSTransport.establish(
                        Self.configuration(network, party: party, session: session))
                    var mpc = try await Replicated3.Engine.establish(transport: transport)
                    let (sx, sy, sa, sb, sd) = (
                        shares[0][party], shares[1][party], shares[2][party], shares[3][party], shares[4][party]
                    )
                    var outputs: Outputs = []
                    outputs.append(sx + sy)
                    outputs.append(try await mpc.multiply(sx, sy))
                    outputs.append(try await mpc.dot(sx, sy))
                    outputs.append(try await mpc.lessThan(sa, sb, bits: 42))
                    outputs.append(try await mpc.lessThanZero(sa, bits: 42))
                    outputs.append(try await mpc.equal(sa, sb, bits: 42))
                    let less = outputs[3]
                    outputs.append(try await mpc.select(less, sx, sy))
                    outputs.append(try await mpc.truncate(sa, by: 16))
                    outputs.append(try await mpc.multiplyFixed(shares[5][party], shares[6][party]))
                    outputs.append(try await mpc.shuffle([sx])[0])
                    outputs.append(try await mpc.sort(key: sd, keyBits: 20).key)
                    outputs.append(
                        try await mpc.divide(
                            sd, by: Replicated3.Share.zeros(sd.count).adding(constant: 7, party: party), bits: 20,
                            quotientBits: nil, divisorBits: nil))
                    outputs.append(try await mpc.squareRoot(sd, bits: 20))
                    let stats = try await mpc.summaryStatistics(sd, valueBits: 17)
                    outputs.append(.concatenate([stats.sum, stats.sumOfSquares, stats.mean]))
                    try await transport.finish()
                    return (party, outputs)
                }
            }
            var results = [Outputs](repeating: [], count: 3)
            for try await (party, outputs) in group { results[party] = outputs }
            return results
        }
        func reveal(_ index: Int) throws -> [UInt64] { try Replicated3.reconstruct(results.map { $0[index] }) }
        let sa = signed, sb = Array(signed.reversed())
        #expect(try reveal(0) == zip(x, y).map { $0 &+ $1 })
        #expect(try reveal(1) == zip(x, y).map { $0 &* $1 })
        #expect(try reveal(2) == [zip(x, y).reduce(0) { $0 &+ $1.0 &* $1.1 }])
        #expect(try reveal(3) == zip(sa, sb).map { $0 < $1 ? 1 : 0 })
        #expect(try reveal(4) == sa.map { $0 < 0 ? 1 : 0 })
        #expect(try reveal(5) == zip(sa, sb).map { $0 == $1 ? 1 : 0 })
        #expect(try reveal(6) == zip(zip(sa, sb), zip(x, y)).map { $0.0 < $0.1 ? $1.0 : $1.1 })
        #expect(try reveal(7) == sa.map { UInt64(bitPattern: $0 >> 16) })
        let products = fp.decode(try reveal(8))
        for (index, product) in products.enumerated() {
            let exact = fp.decode(fa[index]) * fp.decode(fb[index])
            #expect(product <= exact + 1e-9 && product >= exact - 1.0 / 65_536 - 1e-9, "\(product) vs \(exact)")
        }
        #expect(try reveal(9).sorted() == x.sorted())
        #expect(try reveal(10) == small.sorted())
        #expect(try reveal(11) == small.map { $0 / 7 })
        #expect(try reveal(12) == small.map { UInt64(Double($0).squareRoot().rounded(.down)) })
        let sum = small.reduce(0, +)
        #expect(try reveal(13) == [sum, small.reduce(0) { $0 + $1 * $1 }, (sum << 16) / UInt64(small.count)])
    }

    @Test("four parties: every pair connects once, messages arrive in order, agreement and the session end work")
    func fourParties() async throws {
        let network = try TestMPCNetwork(members: ["cp-a", "cp-b", "cp-c", "cp-d"])
        let session = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let received = try await withThrowingTaskGroup(of: (Int, [[UInt64]]).self) { group in
            for party in 0..<4 {
                group.addTask {
                    let peers = (0..<4).map {
                        MPCTLSTransport.Peer(
                            party: $0, member: network.members[$0], host: "127.0.0.1", port: network.ports[$0])
                    }
                    var configuration = MPCTLSTransport.Configuration(
                        party: party, peers: peers, session: session,
                        authentication: TLSPeerAuthentication(
                            identity: network.nodes[party], verifier: network.consortium.verifier()))
                    configuration.connectTimeout = .seconds(20)
                    configuration.silenceLimit = .seconds(30)
                    let transport = try await MPCTLSTransport.establish(configuration)
                    #expect(transport.parties == 4)
                    try await transport.agree(on: [42, 7], what: "a test value")
                    // Two messages to every peer, then one from every peer's pair, in order.
                    for peer in 0..<4 where peer != party {
                        try await transport.send([UInt64(10 * party + peer)], to: peer)
                        try await transport.send([UInt64(100 * party + peer), 1], to: peer)
                    }
                    var messages: [[UInt64]] = []
                    for peer in 0..<4 where peer != party {
                        messages.append(try await transport.receive(from: peer))
                        messages.append(try await transport.receive(from: peer))
                    }
                    try await transport.finish()
                    return (party, messages)
                }
            }
            var received = [[[UInt64]]](repeating: [], count: 4)
            for try await (party, messages) in group { received[party] = messages }
            return received
        }
        for party in 0..<4 {
            let expected: [[UInt64]] = (0..<4).filter { $0 != party }.flatMap { peer -> [[UInt64]] in
                [[UInt64(10 * peer + party)], [UInt64(100 * peer + party), 1]]
            }
            #expect(received[party] == expected)
        }
    }

    @Test(
        "every party ends with the same transcript, signed by its peers; a party lying about what it sent puts its pair in dispute",
        arguments: [nil, 0, 2])
    func transcripts(liar: Int?) async throws {
        let network = try TestMPCNetwork()
        let session = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let outcomes = await withTaskGroup(of: (Int, Result<SessionTranscript, MPCError>).self) { group in
            for party in 0..<3 {
                group.addTask {
                    do {
                        var configuration = Self.configuration(network, party: party, session: session)
                        configuration.keepsTranscript = true
                        configuration.lieInEndClaims = party == liar
                        let transport = try await MPCTLSTransport.establish(configuration)
                        for peer in 0..<3 where peer != party {
                            try await transport.send([UInt64(party), UInt64(peer), .max], to: peer)
                        }
                        for peer in 0..<3 where peer != party { _ = try await transport.receive(from: peer) }
                        try await transport.finish()
                        return (party, .success(try #require(transport.transcript)))
                    } catch {
                        return (party, .failure(error as? MPCError ?? MPCError(.cancelled, "\(error)")))
                    }
                }
            }
            return await group.reduce(into: [Int: Result<SessionTranscript, MPCError>]()) { $0[$1.0] = $1.1 }
        }
        guard let liar else {
            let transcripts = try (0..<3).map {
                try #require(try? outcomes[$0]?.get(), "\(String(describing: outcomes[$0]))")
            }
            for transcript in transcripts {
                for link in transcript.links {
                    let other = try #require(transcripts[link.peer].links.first { $0.peer == transcript.party })
                    // What one sent is what the other received, and each holds the other's signed claim of it.
                    #expect(link.sent == other.received && link.received == other.sent)
                    let claim = try #require(link.claim)
                    #expect(claim.sent == other.sent && claim.received == other.received)
                    #expect(
                        claim.isSigned(
                            by: network.nodes[link.peer].certificate, session: session, from: link.peer,
                            to: transcript.party))
                    #expect(
                        !claim.isSigned(
                            by: network.nodes[transcript.party].certificate, session: session, from: link.peer,
                            to: transcript.party), "a claim verifies under another node's key")
                }
            }
            return
        }
        // Both honest parties name the liar's pair with themselves (what the liar itself sees depends on whether
        // their aborts reach it before it closes).
        for party in 0..<3 where party != liar {
            guard case .failure(let error) = outcomes[party] else {
                Issue.record("party \(party) finished although \(liar) lied")
                continue
            }
            // Its own check, or the other honest party's abort for the same reason, whichever came first.
            #expect(
                error.code == .disputed && error.message.contains("disagree on what \(liar) sent")
                    && error.message.contains("the pair is in dispute"), "\(error)")
        }
    }

    @Test("parties that disagree on a value abort, naming what")
    func disagreement() async throws {
        let network = try TestMPCNetwork()
        let session = [UInt8](repeating: 3, count: 16)
        let outcomes = await withTaskGroup(of: MPCError?.self) { group in
            for party in 0..<3 {
                group.addTask {
                    do {
                        let transport = try await MPCTLSTransport.establish(
                            Self.configuration(network, party: party, session: session))
                        try await transport.agree(on: [party == 2 ? 8 : 7], what: "the uploaded inputs")
                        transport.close()
                        return nil
                    } catch {
                        return error as? MPCError
                    }
                }
            }
            return await group.reduce(into: [MPCError?]()) { $0.append($1) }
        }
        #expect(
            outcomes.allSatisfy {
                $0?.code == .protocolViolation && $0?.message.contains("the uploaded inputs") == true
            }, "\(outcomes)")
    }

    @Test("a node of a member that is not in the session is refused at the handshake")
    func outsiderRefused() async throws {
        var consortiumNetwork = try TestMPCNetwork()
        var consortium = consortiumNetwork.consortium
        try consortium.admit("cp-z", roles: [.compute])
        let outsider = try consortium.node("cp-z", ip: ["127.0.0.1"])
        consortiumNetwork = TestMPCNetwork(
            consortium: consortium, members: consortiumNetwork.members, nodes: consortiumNetwork.nodes,
            ports: consortiumNetwork.ports)
        let network = consortiumNetwork
        let session = [UInt8](repeating: 7, count: 16)
        // Parties 0 and 1 are genuine; party 2's process runs with cp-z's certificate.
        let outcomes = await withTaskGroup(of: (Int, MPCError?).self) { group in
            for party in 0..<3 {
                group.addTask {
                    do {
                        let identity = party == 2 ? outsider : network.nodes[party]
                        let transport = try await MPCTLSTransport.establish(
                            Self.configuration(network, party: party, identity: identity, session: session))
                        transport.close()
                        return (party, nil)
                    } catch {
                        return (party, error as? MPCError)
                    }
                }
            }
            var outcomes: [Int: MPCError?] = [:]
            for await (party, error) in group { outcomes[party] = error }
            return outcomes
        }
        // Both genuine parties dial party 2 and refuse its certificate at once, naming why.
        for party in 0..<2 {
            let error = try #require(outcomes[party] ?? nil)
            #expect(error.code == .sessionSetup)
            #expect(error.message.contains("refused") && error.message.contains("cp-z"), "\(error.message)")
        }
        // The outsider never gets a session either.
        #expect(outcomes[2] ?? nil != nil)
    }
}
