import Foundation

/// A consortium's hosts for a test: `Deploy/netns/lab` with `hosts` network namespaces on a bridge of their own, links
/// shaped by a profile (`lan`, `eu`, `global`), and this machine attached as 198.19.K.1 (unshaped) so the test can
/// reach them as a client. Faults are the lab's: `partition`, `loss`, `heal`. Needs root, iproute2, nftables and
/// python3, which CI has (`scripts/test` installs them); taken down with `remove()` or when dropped.
package final class TestNetworkLab: @unchecked Sendable {
    package let name: String
    package let subnet: Int
    private var removed = false

    /// Whether a lab can be made here; in CI always (a missing tool is then an error, not a skip).
    package static var available: Bool {
        TestEnvironment.isStrict
            || (getuid() == 0 && ["ip", "nft", "python3", "tc"].allSatisfy { Subprocess.which($0) != nil })
    }

    package init(profile: String, hosts: Int = 4) throws {
        self.name = "cl\(String(UInt32.random(in: 0..<(1 << 28)), radix: 16))"
        // Attached labs share this machine's routing table: a subnet of their own each.
        self.subnet = Int.random(in: 1..<255)
        try self.lab([
            "up", self.name, "--profile", profile, "--hosts", "\(hosts)", "--subnet", "\(self.subnet)", "--attach",
        ])
    }

    /// Host `index`'s address.
    package func address(_ index: Int) -> String { "198.19.\(self.subnet).\(10 + index)" }

    /// Host `index`'s network namespace.
    package func namespace(_ index: Int) -> String { "\(self.name)-\(index)" }

    /// Cuts host `index` off from every other host and from this machine (packets are dropped, silently).
    package func partition(_ index: Int) throws { try self.lab(["partition", self.name, "\(index)"]) }

    /// Drops `percent` % of host `index`'s packets, both ways, on top of its profile.
    package func loss(_ index: Int, percent: Int) throws {
        try self.lab(["loss", self.name, "\(index)", "\(percent)"])
    }

    /// Undoes `partition` or `loss` on host `index`.
    package func heal(_ index: Int) throws { try self.lab(["heal", self.name, "\(index)"]) }

    package func remove() {
        guard !self.removed else { return }
        self.removed = true
        _ = try? Subprocess.run(Self.script, ["down", self.name])
    }

    deinit { self.remove() }

    private static var script: String { TestData.repositoryRoot.appendingPathComponent("Deploy/netns/lab").path }

    private func lab(_ arguments: [String]) throws {
        let output = try Subprocess.run(Self.script, arguments)
        guard output.succeeded else {
            throw TestEnvironment.Unavailable(
                description:
                    "Deploy/netns/lab \(arguments.joined(separator: " ")) failed: \(output.stdout) \(output.stderr)")
        }
    }
}
