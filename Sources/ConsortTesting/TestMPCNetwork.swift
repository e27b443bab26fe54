import ConsortMPC
import ConsortPKI
import ConsortTransport
import Foundation

/// Three computing-party identities of a test consortium and free loopback ports, for MPC over real mutual TLS.
package struct TestMPCNetwork: Sendable {
    package let consortium: TestConsortium
    package let members: [MemberID]
    package let nodes: [SigningIdentity]
    package let ports: [Int]

    package init(consortium: TestConsortium, members: [MemberID], nodes: [SigningIdentity], ports: [Int]) {
        self.consortium = consortium
        self.members = members
        self.nodes = nodes
        self.ports = ports
    }

    package init(members: [String] = ["cp-a", "cp-b", "cp-c"]) throws {
        var consortium = try TestConsortium()
        var nodes: [SigningIdentity] = []
        for member in members {
            try consortium.admit(member, roles: [.compute])
            nodes.append(try consortium.node(member, ip: ["127.0.0.1"]))
        }
        self.consortium = consortium
        self.members = try members.map(MemberID.init)
        self.nodes = nodes
        self.ports = try FreePort.loopback(count: members.count)
    }
}
