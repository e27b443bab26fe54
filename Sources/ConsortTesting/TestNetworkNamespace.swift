import Foundation

/// A network namespace of its own for a test, joined to this one by a veth pair: the namespace's end has
/// 198.18.N.2/30, this end 198.18.N.1/30 (the benchmarking range; no route beyond the pair). A process started in it
/// (`TestNodeProcess(…, namespace:)`) is another host as far as addresses go. Needs root and iproute2, which CI has
/// (`scripts/test` installs iproute2); removed with `remove()` or when dropped.
package final class TestNetworkNamespace: @unchecked Sendable {
    package let name: String
    package let hostSide: String
    /// This end's and the namespace's address.
    package let hostAddress: String
    package let address: String
    private var removed = false

    /// Whether namespaces can be made here (root and `ip`); in CI always.
    package static var available: Bool {
        TestEnvironment.isStrict || (getuid() == 0 && Subprocess.which("ip") != nil)
    }

    package init() throws {
        let tag = UInt32.random(in: 0..<(1 << 24))
        let subnet = Int.random(in: 0..<256)
        self.name = "consort-\(String(tag, radix: 16))"
        self.hostSide = "cv\(String(tag, radix: 16))h"
        self.hostAddress = "198.18.\(subnet).1"
        self.address = "198.18.\(subnet).2"
        let inside = "cv\(String(tag, radix: 16))n"
        let steps: [[String]] = [
            ["netns", "add", self.name],
            ["link", "add", self.hostSide, "type", "veth", "peer", "name", inside],
            ["link", "set", inside, "netns", self.name],
            ["addr", "add", "\(self.hostAddress)/30", "dev", self.hostSide],
            ["link", "set", self.hostSide, "up"],
            ["netns", "exec", self.name, "ip", "addr", "add", "\(self.address)/30", "dev", inside],
            ["netns", "exec", self.name, "ip", "link", "set", inside, "up"],
            ["netns", "exec", self.name, "ip", "link", "set", "lo", "up"],
        ]
        for step in steps {
            let output = try Subprocess.run("ip", step)
            guard output.succeeded else {
                self.remove()
                throw TestEnvironment.Unavailable(
                    description: "ip \(step.joined(separator: " ")) failed: \(output.stderr)")
            }
        }
    }

    package func remove() {
        guard !self.removed else { return }
        self.removed = true
        _ = try? Subprocess.run("ip", ["link", "del", self.hostSide])
        _ = try? Subprocess.run("ip", ["netns", "del", self.name])
    }

    deinit { self.remove() }
}
