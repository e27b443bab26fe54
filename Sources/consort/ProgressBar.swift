import ArgumentParser
import ConsortClient
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A one-line progress bar on standard error for transfers to several nodes at once, redrawn at most 10 times a
/// second; silent unless standard error is a terminal (or `always`), so logs and pipes stay clean.
final class ProgressBar: UploadProgress {
    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case auto, always, never
    }

    private struct State {
        var total = 0
        var sent: [Int] = []
        var lastDraw = ContinuousClock.now - .seconds(1)
    }

    private let enabled: Bool
    private let label: String
    private let state = Mutex(State())

    init(mode: Mode, label: String) {
        self.enabled = mode == .always || (mode == .auto && isatty(STDERR_FILENO) == 1)
        self.label = label
    }

    func start(total: Int, parts: Int) {
        self.state.withLock {
            $0.total = total
            $0.sent = Array(repeating: 0, count: parts)
        }
    }

    func update(part: Int, sent: Int) {
        guard self.enabled else { return }
        let line = self.state.withLock { state -> String? in
            guard state.sent.indices.contains(part) else { return nil }
            state.sent[part] = sent
            let now = ContinuousClock.now
            guard now - state.lastDraw >= .milliseconds(100) else { return nil }
            state.lastDraw = now
            return Self.render(self.label, sent: state.sent.reduce(0, +), total: state.total)
        }
        if let line { FileHandle.standardError.write(Data(("\r" + line).utf8)) }
    }

    func finish() {
        guard self.enabled else { return }
        let line = self.state.withLock { Self.render(self.label, sent: $0.sent.reduce(0, +), total: $0.total) }
        FileHandle.standardError.write(Data(("\r" + line + "\n").utf8))
    }

    static func render(_ label: String, sent: Int, total: Int) -> String {
        let fraction = total == 0 ? 1 : min(1, Double(sent) / Double(total))
        let width = 30
        let filled = Int(fraction * Double(width))
        let megabytes = { (bytes: Int) in String(format: "%.1f", Double(bytes) / 1_048_576) }
        return "\(label) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] "
            + "\(Int(fraction * 100))% \(megabytes(sent))/\(megabytes(total)) MiB"
    }
}
