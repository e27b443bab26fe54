import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// TCP ports on 127.0.0.1 that nothing uses right now, for throwaway local servers. They are drawn at random below
/// the kernel's ephemeral range (Linux: 32768–60999), so an outgoing connection's local port — the kernel picks those
/// from the ephemeral range — cannot occupy a port between the moment it is chosen and the moment a server binds it.
/// A port is handed out once per process: tests running in parallel choose ports well before their servers bind
/// them, and two of them once drew the same one.
package enum FreePort {
    /// 20000–32699, or `CONSORT_FREE_PORTS=LOW-HIGH` (inside 1024–32767): processes that choose ports side by side
    /// (a test and the demo it starts) are given disjoint ranges, since a port is handed out once per process only.
    static let range: Range<Int> = {
        let fallback = 20_000..<32_700
        guard let text = ProcessInfo.processInfo.environment["CONSORT_FREE_PORTS"] else { return fallback }
        let bounds = text.split(separator: "-").compactMap { Int($0) }
        guard bounds.count == 2, 1024 <= bounds[0], bounds[0] < bounds[1], bounds[1] <= 32_767 else {
            return fallback
        }
        return bounds[0]..<bounds[1] + 1
    }()
    private static let handedOut = Mutex<Set<Int>>([])

    /// `count` distinct free ports (each socket stays bound until all are chosen, so none is picked twice).
    package static func loopback(count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        return try (0..<count).map { _ in
            let (socket, port) = try Self.bound(excluding: [])
            sockets.append(socket)
            return port
        }
    }

    package static func loopback() throws -> Int {
        try Self.loopback(count: 1)[0]
    }

    /// `count` ports P, each with P and P + 1 free: a node's API port and its MPC port.
    package static func nodePorts(count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { for socket in sockets { close(socket) } }
        var ports: [Int] = []
        for _ in 0..<200 where ports.count < count {
            guard let (first, port) = try? Self.bound(excluding: Set(ports.flatMap { [$0, $0 + 1] })) else { continue }
            sockets.append(first)
            guard Self.handOut([port + 1]), let second = Self.claim(port + 1) else { continue }
            sockets.append(second)
            ports.append(port)
        }
        guard ports.count == count else {
            throw TransportError(.unavailable, "no \(count) pairs of free TCP ports on 127.0.0.1")
        }
        return ports
    }

    /// Whether something accepts TCP connections on `host`:`port` (a server has started); `host` is an IPv4 address.
    package static func accepts(_ port: Int, host: String = "127.0.0.1") -> Bool {
        #if canImport(Glibc)
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// A socket bound to a random free port of `range` (not in `excluding`), and the port.
    private static func bound(excluding: Set<Int>) throws -> (Int32, Int) {
        for _ in 0..<500 {
            let port = Int.random(in: Self.range)
            guard !excluding.contains(port), Self.handOut([port]), let socket = Self.claim(port) else { continue }
            return (socket, port)
        }
        throw TransportError(.unavailable, "no free TCP port on 127.0.0.1 in \(Self.range)")
    }

    /// Marks `ports` handed out; false if one already was.
    private static func handOut(_ ports: [Int]) -> Bool {
        Self.handedOut.withLock { handedOut in
            guard handedOut.isDisjoint(with: ports) else { return false }
            handedOut.formUnion(ports)
            return true
        }
    }

    /// A socket bound to 127.0.0.1:`port`, or nil if the port is taken.
    private static func claim(_ port: Int) -> Int32? {
        #if canImport(Glibc)
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard socket >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard bound else {
            close(socket)
            return nil
        }
        return socket
    }
}
