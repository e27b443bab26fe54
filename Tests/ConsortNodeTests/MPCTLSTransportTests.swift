import ConsortMPC
import ConsortNode
import ConsortPKI
import ConsortTesting
import Foundation
import Testing

@Suite("MPC over mutual TLS")
struct MPCTLSTransportTests {
    static func configuration(_ network: TestMPCNetwork, party: Int, identity: SigningIdentity? = nil, session: [UInt8],
                              roundTimeout: Duration = .seconds(10)) -> MPCTLSTransport.Configuration {
        let peers = (0..<3).map { MPCTLSTransport.Peer(party: $0, member: network.members[$0], host: "127.0.0.1", port: network.ports[$0]) }
        var configuration = MPCTLSTransport.Configuration(
            party: party, peers: peers, session: session,
            authentication: TLSPeerAuthentication(identity: identity ?? network.nodes[party], verifier: network.consortium.verifier())
        )
        configuration.roundTimeout = roundTimeout
        configuration.connectTimeout = .seconds(5)
        return configuration
    }

    @Test("the protocols give the plaintext results over real TLS sockets")
    func protocolsOverTLS() async throws {
        let network = try TestMPCNetwork()
        let session = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let x = Array((0..<1000).map { UInt64($0) * 7_919 % 100_003 })
        let y = Array(x.reversed())
        let xs = MPCHarness.shares(x)
        let ys = MPCHarness.shares(y)
        let results = try await withThrowingTaskGroup(of: (Int, Replicated3.Share, Replicated3.Share, Replicated3.Share).self) { group in
            for party in 0..<3 {
                group.addTask {
                    let transport = try await MPCTLSTransport.establish(Self.configuration(network, party: party, session: session))
                    var mpc = try await MPCSession.establish(transport: transport)
                    let product = try await mpc.multiply(xs[party], ys[party])
                    let less = try await mpc.lessThan(xs[party], ys[party], bits: 20)
                    let sorted = try await mpc.sort(key: xs[party], keyBits: 20).key
                    try await transport.finish()
                    return (party, product, less, sorted)
                }
            }
            var results: [(Int, Replicated3.Share, Replicated3.Share, Replicated3.Share)] = []
            for try await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }
        }
        #expect(try MPCHarness.reveal(results.map(\.1)) == zip(x, y).map { $0 &* $1 })
        #expect(try MPCHarness.reveal(results.map(\.2)) == zip(x, y).map { $0 < $1 ? 1 : 0 })
        #expect(try MPCHarness.reveal(results.map(\.3)) == x.sorted())
    }

    @Test("a node of a member that is not in the session is refused at the handshake")
    func outsiderRefused() async throws {
        var consortiumNetwork = try TestMPCNetwork()
        var consortium = consortiumNetwork.consortium
        try consortium.admit("cp-z", roles: [.compute])
        let outsider = try consortium.node("cp-z", ip: ["127.0.0.1"])
        consortiumNetwork = TestMPCNetwork(consortium: consortium, members: consortiumNetwork.members, nodes: consortiumNetwork.nodes, ports: consortiumNetwork.ports)
        let network = consortiumNetwork
        let session = [UInt8](repeating: 7, count: 16)
        // Parties 0 and 1 are genuine; party 2's process runs with cp-z's certificate.
        let outcomes = await withTaskGroup(of: (Int, MPCError?).self) { group in
            for party in 0..<3 {
                group.addTask {
                    do {
                        let identity = party == 2 ? outsider : network.nodes[party]
                        let transport = try await MPCTLSTransport.establish(Self.configuration(network, party: party, identity: identity, session: session))
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
