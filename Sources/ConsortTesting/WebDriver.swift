import ConsortTransport
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real browser for UI tests: headless Chromium driven through chromedriver's W3C WebDriver HTTP API (Debian's
/// `chromium` and `chromium-driver`, which `scripts/test` installs). One driver process and one browser session per
/// instance; `quit()` ends both.
package final class WebDriver: @unchecked Sendable {
    private let driver = Process()
    private let base: String
    private var session = ""

    /// Whether this machine has both (a test is enabled by this; in CI they are always installed).
    package static var available: Bool {
        TestEnvironment.isStrict || (Subprocess.which("chromium") != nil && Subprocess.which("chromedriver") != nil)
    }

    package init() async throws {
        guard let chromedriver = Subprocess.which("chromedriver"), let chromium = Subprocess.which("chromium") else {
            throw TestEnvironment.Unavailable(
                description: "chromium and chromedriver are required (scripts/test installs them)")
        }
        let port = try FreePort.loopback()
        self.base = "http://127.0.0.1:\(port)"
        self.driver.executableURL = URL(fileURLWithPath: chromedriver)
        self.driver.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
        self.driver.standardOutput = FileHandle.nullDevice
        self.driver.standardError = FileHandle.nullDevice
        try self.driver.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while !FreePort.accepts(port) {
            guard ContinuousClock.now < deadline, self.driver.isRunning else {
                throw TestEnvironment.Unavailable(description: "chromedriver did not start on port \(port)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": [
                        "binary": chromium,
                        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,900"],
                    ],
                ]
            ]
        ]
        let created = try await self.call("POST", "/session", capabilities)
        guard let session = (created["value"] as? [String: Any])?["sessionId"] as? String else {
            throw TestEnvironment.Unavailable(description: "chromedriver made no session: \(created)")
        }
        self.session = session
    }

    /// Opens `url` and waits for the page to load.
    package func open(_ url: String) async throws {
        _ = try await self.call("POST", "/session/\(self.session)/url", ["url": url])
    }

    /// The key of an element reference in W3C WebDriver answers.
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    /// The element `css` selects (its WebDriver id).
    package func element(_ css: String) async throws -> String {
        let found = try await self.call(
            "POST", "/session/\(self.session)/element", ["using": "css selector", "value": css])
        guard let value = found["value"] as? [String: Any],
            let id = value[Self.elementKey] as? String
        else { throw TestEnvironment.Unavailable(description: "no element '\(css)' on the page: \(found)") }
        return id
    }

    package func type(_ text: String, into css: String) async throws {
        let element = try await self.element(css)
        _ = try await self.call("POST", "/session/\(self.session)/element/\(element)/value", ["text": text])
    }

    /// Clicks what `css` selects (a submit button: the browser posts the form and loads the answer).
    package func click(_ css: String) async throws {
        let element = try await self.element(css)
        _ = try await self.call("POST", "/session/\(self.session)/element/\(element)/click", [:])
    }

    /// The current page's HTML, title and address.
    package func source() async throws -> String {
        try await self.call("GET", "/session/\(self.session)/source")["value"] as? String ?? ""
    }

    package func title() async throws -> String {
        try await self.call("GET", "/session/\(self.session)/title")["value"] as? String ?? ""
    }

    package func url() async throws -> String {
        try await self.call("GET", "/session/\(self.session)/url")["value"] as? String ?? ""
    }

    /// Writes a PNG screenshot of the page to `path`.
    package func screenshot(to path: String) async throws {
        let shot = try await self.call("GET", "/session/\(self.session)/screenshot")
        guard let text = shot["value"] as? String, let png = Data(base64Encoded: text) else {
            throw TestEnvironment.Unavailable(description: "no screenshot")
        }
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try png.write(to: URL(fileURLWithPath: path))
    }

    /// Ends the browser session and the driver.
    package func quit() async {
        if !self.session.isEmpty { _ = try? await self.call("DELETE", "/session/\(self.session)") }
        // Foundation's Process can miss a child's exit: wait a little for it, then make sure.
        if self.driver.isRunning { self.driver.terminate() }
        for _ in 0..<50 where self.driver.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        if self.driver.isRunning { kill(self.driver.processIdentifier, SIGKILL) }
    }

    deinit { if self.driver.isRunning { self.driver.terminate() } }

    /// One WebDriver command, sent with curl (Foundation's URLSession on Linux fails on chromedriver's answers).
    private func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        // Generous: with the whole suite running on two cores, a page load has taken over a minute.
        var arguments = ["-s", "--max-time", "180", "-X", method, self.base + path]
        if let body {
            let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
            arguments += ["-H", "Content-Type: application/json", "--data-binary", json]
        }
        let output = try await Subprocess.output("curl", arguments)
        guard output.succeeded else {
            throw TestEnvironment.Unavailable(
                description: "WebDriver \(method) \(path) failed (curl exit \(output.status)): \(output.stderr)")
        }
        return (try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8))) as? [String: Any] ?? [:]
    }
}
