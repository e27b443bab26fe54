import ConsortAudit
import ConsortNode
import ConsortPKI
import ConsortSpec
import ConsortTesting
import ConsortTransport
import Foundation
import Testing

/// The member's web UI on its own node process, spoken to over HTTP as a browser would (curl with a cookie jar):
/// sign-in, sessions, CSRF tokens, roles, and signing a proposal for the member; every action audited.
@Suite("The member's web UI")
struct WebUITests {
    /// A browser session against one UI: cookies kept in a jar.
    struct Browser {
        let base: String
        let jar: String

        /// `(status, location, body)` of one request (status 0: no answer within 60 s); `form` is sent URL-encoded
        /// as a POST.
        func go(_ path: String, form: [String: String]? = nil) async throws -> (
            status: Int, location: String, body: String
        ) {
            var arguments = [
                "-s", "--max-time", "60", "-b", self.jar, "-c", self.jar, "-w", "\n%{http_code} %{redirect_url}",
            ]
            for (key, value) in form ?? [:] { arguments += ["--data-urlencode", "\(key)=\(value)"] }
            let output = try await Subprocess.output("curl", arguments + ["\(self.base)\(path)"])
            let lines = output.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            let last = lines.last.map(String.init) ?? ""
            let parts = last.split(separator: " ", maxSplits: 1).map(String.init)
            return (
                Int(parts.first ?? "") ?? 0, parts.count > 1 ? parts[1] : "",
                lines.dropLast().joined(separator: "\n")
            )
        }

        /// The value of the first `name="csrf"` field of a page.
        static func csrf(in page: String) -> String? {
            guard let range = page.range(of: #"name="csrf" value=""#) else { return nil }
            return String(page[range.upperBound...].prefix { $0 != "\"" })
        }

        func signIn(_ name: String, _ password: String) async throws -> Int {
            let page = try await self.go("/sign-in")
            return try await self.go(
                "/sign-in", form: ["name": name, "password": password, "csrf": Self.csrf(in: page.body) ?? ""]
            ).status
        }
    }

    /// Nodes for every member; nso-south's with a web UI and two users (alice: signer, bob: analyst); a proposal of
    /// nso-north's on its way. Returns the deployment, the UI's address and the proposal id.
    static func proposalForSouth() async throws -> (TaskSubmissionTests.Deployment, base: String, proposal: String) {
        let uiPort = try FreePort.loopback()
        let deployment = try await TaskSubmissionTests.Deployment(
            memberNodes: ["nso-north", "nso-south", "eurostat", "auditor"],
            configure: { member, configuration in
                if member == "nso-south" {
                    configuration.ui = "127.0.0.1:\(uiPort)"
                    configuration.identities = ["signer": "nso-south-ui-signer", "analyst": "nso-south-analyst"]
                }
            }
        ) { consortium, path in
            // nso-south's node acts for its people with these (checked when the node starts).
            try consortium.user("nso-south", name: "signer", roles: [.signer]).write(
                directory: path, name: "nso-south-ui-signer")
            try consortium.user("nso-south", name: "analyst", roles: [.analyst]).write(
                directory: path, name: "nso-south-analyst")
        }
        let path = deployment.path
        for member in ["nso-north", "nso-south"] {
            try deployment.signers[try MemberID(member)]!.write(directory: path, name: "\(member)-signer")
        }
        let consort = deployment.consort
        for (name, role, password) in [
            ("alice", "signer", "correct horse battery"), ("bob", "analyst", "bob's long password"),
        ] {
            let added = try await Subprocess.output(
                consort, ["node", "user", "add", "--config", "\(path)/nso-south.json", "--name", name, "--role", role],
                input: Data(password.utf8))
            #expect(added.succeeded, "\(added.stdout) \(added.stderr)")
        }
        try TestSpecifications.householdIncome().write(
            toFile: "\(path)/household.json", atomically: true, encoding: .utf8)
        let created = try await deployment.run(
            ["proposal", "create", "\(path)/household.json"], as: "nso-north-signer")
        try #require(created.succeeded, "\(created.stdout) \(created.stderr)")
        let id = try #require(created.stdout.split(separator: " ").dropFirst().first.map { String($0.dropLast()) })
        return (deployment, "http://127.0.0.1:\(uiPort)", id)
    }

    @Test(
        "sign in, review and sign a proposal for the member; no session, a wrong role or CSRF token, a wrong password are refused and audited"
    )
    func signInReviewSign() async throws {
        let (deployment, base, id) = try await Self.proposalForSouth()
        let path = deployment.path
        let short = try await Subprocess.output(
            deployment.consort,
            ["node", "user", "add", "--config", "\(path)/nso-south.json", "--name", "carol", "--role", "signer"],
            input: Data("short".utf8))
        #expect(!short.succeeded && short.stderr.contains("at least 12 characters"), "\(short.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: "\(path)/nso-south/ui-users.json")[
            .posixPermissions]
        #expect((mode as? Int) == 0o600)

        let alice = Browser(base: base, jar: "\(path)/alice.cookies")
        // No session: every page sends the browser to sign in.
        let anonymous = try await alice.go("/")
        #expect(anonymous.status == 303 && anonymous.location.hasSuffix("/sign-in"), "\(anonymous)")
        #expect(try await alice.go("/proposals/\(id)").location.hasSuffix("/sign-in"))
        // A sign-in form without its token, and a wrong password, are refused.
        #expect(
            try await alice.go("/sign-in", form: ["name": "alice", "password": "correct horse battery"]).status == 403)
        let wrong = try await alice.signIn("alice", "wrong password!!")
        #expect(wrong == 401, "a wrong password gave \(wrong)")
        let right = try await alice.signIn("alice", "correct horse battery")
        #expect(right == 303, "the right password gave \(right)")

        try await Eventually.wait("nso-south's node never got the proposal", within: 30) {
            try await alice.go("/").body.contains("your signature is needed")
        }
        let review = try await alice.go("/proposals/\(id)")
        #expect(
            review.status == 200 && review.body.contains("besides the outputs, the computation reveals")
                && review.body.contains(#"<label for="reason">"#), "\(review.body)")
        let text = try String(contentsOfFile: "\(path)/household.json", encoding: .utf8)
        let hash = MultiSignatureJWS.taskID(of: Array(text.utf8))
        #expect(review.body.contains(#"name="hash" value="\#(hash)""#), "the form is not for the version proposed")
        let csrf = try #require(Browser.csrf(in: review.body))
        // A form from elsewhere (no or another token) signs nothing.
        #expect(try await alice.go("/proposals/\(id)/sign", form: ["hash": hash]).status == 403)
        #expect(
            try await alice.go("/proposals/\(id)/sign", form: ["hash": hash, "csrf": String(csrf.reversed())]).status
                == 403)
        // bob is an analyst: he may look, not sign.
        let bob = Browser(base: base, jar: "\(path)/bob.cookies")
        #expect(try await bob.signIn("bob", "bob's long password") == 303)
        let bobsPage = try await bob.go("/proposals/\(id)")
        #expect(!bobsPage.body.contains("Sign version"), "the sign button is shown to an analyst")
        let bobSigns = try await bob.go(
            "/proposals/\(id)/sign", form: ["hash": hash, "csrf": Browser.csrf(in: bobsPage.body) ?? ""])
        #expect(bobSigns.status == 403 && bobSigns.body.contains("does not hold the role signer"), "\(bobSigns.body)")

        let signed = try await alice.go("/proposals/\(id)/sign", form: ["hash": hash, "csrf": csrf])
        #expect(signed.status == 303, "\(signed)")
        #expect(try await alice.go("/proposals/\(id)").body.contains("nso-south"))
        try await Eventually.wait("nso-north never got nso-south's signature", within: 30) {
            try await deployment.run(["proposal", "show", "--proposal", id], as: "nso-north-signer").stdout.contains(
                "signed:   nso-south")
        }
        // A new version voids her signature: the page shows what changed, and the old version's hash signs nothing.
        let revisedText = TestSpecifications.householdIncomeRevised()
        try revisedText.write(toFile: "\(path)/household-2.json", atomically: true, encoding: .utf8)
        let revised = try await deployment.run(
            ["proposal", "create", "\(path)/household-2.json", "--revises", id], as: "nso-north-signer")
        try #require(revised.succeeded, "\(revised.stdout) \(revised.stderr)")
        try await Eventually.wait("nso-south never got version 2", within: 30) {
            try await alice.go("/proposals/\(id)").body.contains("Changes since version 1")
        }
        let second = try await alice.go("/proposals/\(id)")
        #expect(
            second.body.contains(#"<span class="removed">"#) && second.body.contains(#"<span class="added">"#)
                && second.body.contains("Sign version 2"), "\(second.body)")
        let stale = try await alice.go(
            "/proposals/\(id)/sign", form: ["hash": hash, "csrf": Browser.csrf(in: second.body) ?? ""])
        #expect(stale.status == 409 && stale.body.contains("version"), "\(stale)")

        let signedOut = try await alice.go("/sign-out", form: ["csrf": csrf])
        let afterSignOut = try await alice.go("/")
        #expect(signedOut.status == 303 && afterSignOut.status == 303)

        for node in deployment.nodes { try await node.expectCleanStop() }
        let log = try await deployment.audit("nso-south")
        let aliceSubject = "consort://nso-south/ui-user/alice"
        #expect(log.contains { $0.action == .uiSignedIn && $0.actor.subject == aliceSubject })
        #expect(log.contains { $0.action == .proposalSigned && $0.actor.subject == aliceSubject })
        #expect(log.contains { $0.action == .uiSignedOut && $0.actor.subject == aliceSubject })
        #expect(
            log.contains {
                $0.action == .requestDenied && $0.actor.subject == aliceSubject && $0.details.contains("CSRF")
            })
        #expect(
            log.contains {
                $0.action == .requestDenied && $0.actor.subject == "consort://nso-south/ui-user/bob"
                    && $0.details.contains("role signer")
            })
        #expect(log.contains { $0.action == .requestDenied && $0.details.contains("wrong name or password") })
    }

    @Test("a one-time sign-in link signs in once; an analyst may not halt; a signer's halt needs its confirmation")
    func linksAndHalt() async throws {
        let (deployment, base, _) = try await Self.proposalForSouth()
        let path = deployment.path
        let link = try await Subprocess.output(
            deployment.consort,
            ["node", "user", "link", "--config", "\(path)/nso-south.json", "--name", "alice", "--minutes", "5"])
        try #require(link.succeeded && link.stdout.hasPrefix("\(base)/sign-in/link/"), "\(link.stdout) \(link.stderr)")
        let linkPath = String(link.stdout.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst(base.count))
        let alice = Browser(base: base, jar: "\(path)/alice.cookies")
        let first = try await alice.go(linkPath)
        #expect(first.status == 303 && first.location == "\(base)/", "\(first)")
        #expect(try await alice.go("/").status == 200, "the link gave no session")
        let again = try await Browser(base: base, jar: "\(path)/mallory.cookies").go(linkPath)
        #expect(again.status == 303 && again.location.hasSuffix("/sign-in"), "a link signed in twice: \(again)")
        let unknown = try await Subprocess.output(
            deployment.consort, ["node", "user", "link", "--config", "\(path)/nso-south.json", "--name", "nobody"])
        #expect(!unknown.succeeded && unknown.stderr.contains("no web UI user 'nobody'"), "\(unknown.stderr)")

        // A task the member may halt (nso-south is in mayHalt): bob (analyst) may not; alice must confirm.
        let (task, _) = try await deployment.submit(TestSpecifications.householdIncome())
        let bob = Browser(base: base, jar: "\(path)/bob.cookies")
        #expect(try await bob.signIn("bob", "bob's long password") == 303)
        let bobsTask = try await bob.go("/tasks/\(task)")
        #expect(bobsTask.status == 200 && !bobsTask.body.contains("Sign and send the halt"), "\(bobsTask.body)")
        let bobHalts = try await bob.go(
            "/tasks/\(task)/halt",
            form: ["csrf": Browser.csrf(in: bobsTask.body) ?? "", "reason": "x", "confirm": "yes"])
        #expect(bobHalts.status == 403, "\(bobHalts)")
        let page = try await alice.go("/tasks/\(task)")
        #expect(page.body.contains("Sign and send the halt") && page.body.contains("<td>accepted</td>"), "\(page.body)")
        let csrf = try #require(Browser.csrf(in: page.body))
        let unconfirmed = try await alice.go("/tasks/\(task)/halt", form: ["csrf": csrf, "reason": "wrong year"])
        #expect(unconfirmed.status == 400 && unconfirmed.body.contains("confirmation"), "\(unconfirmed)")
        let halted = try await alice.go(
            "/tasks/\(task)/halt", form: ["csrf": csrf, "reason": "wrong survey year", "confirm": "yes"])
        #expect(halted.status == 303, "\(halted)")
        #expect(
            try await alice.go("/tasks/\(task)").body.components(separatedBy: "<td>halted</td>").count == 4,
            "the task is not halted on every computing party")
        // An analyst of a member that is no output party gets no result: the computing parties refuse it.
        let result = try await bob.go("/tasks/\(task)/result")
        #expect(
            result.status == 502 && result.body.contains("No result") && result.body.contains("refused"), "\(result)")

        for node in deployment.nodes { try await node.expectCleanStop() }
        let log = try await deployment.audit("nso-south")
        #expect(log.contains { $0.action == .uiSignedIn && $0.details.contains("one-time link") })
        #expect(log.contains { $0.action == .requestDenied && $0.details.contains("unknown, used or expired link") })
        #expect(log.contains { $0.action == .uiHalted && $0.details.contains("wrong survey year") })
        let cpLog = try await deployment.audit("cp-a")
        #expect(cpLog.contains { $0.action == .taskHalted })
    }

    @Test(
        "in headless Chromium: sign in, find the proposal waiting, review it and sign it; a screenshot of each page",
        .enabled(if: WebDriver.available, "chromium and chromedriver are not installed"))
    func inChromium() async throws {
        let (deployment, base, id) = try await Self.proposalForSouth()
        let shots = TestData.repositoryRoot.appendingPathComponent(".build/test-output/web-ui").path
        let browser = try await WebDriver()
        do {
            try await browser.open("\(base)/")
            #expect(try await browser.url().hasSuffix("/sign-in"), "no session: the browser is sent to sign in")
            try await browser.screenshot(to: "\(shots)/1-sign-in.png")
            try await browser.type("alice", into: "#name")
            try await browser.type("correct horse battery", into: "#password")
            try await browser.click("button[type=submit]")
            try await Eventually.wait("the proposal never showed as waiting for nso-south", within: 30) {
                try await browser.open("\(base)/")
                return try await browser.source().contains("your signature is needed")
            }
            #expect(try await browser.title().contains("Overview"))
            try await browser.screenshot(to: "\(shots)/2-overview.png")
            try await browser.click("a[href='/proposals/\(id)']")
            let review = try await browser.source()
            #expect(
                review.contains("besides the outputs, the computation reveals") && review.contains("must sign"),
                "\(review)")
            #expect(!review.contains("task nil"), "an absent value is shown as nil")
            try await browser.screenshot(to: "\(shots)/3-review.png")
            try await browser.click("form[action$='/sign'] button")
            let signed = try await browser.source()
            #expect(
                try await browser.url().hasSuffix("/proposals/\(id)") && signed.contains("<dd>nso-south</dd>")
                    && !signed.contains("Sign version"), "\(signed)")
            try await browser.screenshot(to: "\(shots)/4-signed.png")
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
        for node in deployment.nodes { try await node.expectCleanStop() }
        let log = try await deployment.audit("nso-south")
        #expect(
            log.contains {
                $0.action == .proposalSigned && $0.actor.subject == "consort://nso-south/ui-user/alice"
            })
        for page in ["1-sign-in", "2-overview", "3-review", "4-signed"] {
            #expect(FileManager.default.fileExists(atPath: "\(shots)/\(page).png"), "no screenshot \(page)")
        }
    }

    @Test(
        "the UI refuses connections from another host unless uiAllowRemote: a node in a network namespace of its own",
        .enabled(if: TestNetworkNamespace.available, "needs root and iproute2 for a network namespace"))
    func remoteRefused() async throws {
        let deployment = try await TaskSubmissionTests.Deployment(started: [])
        let path = deployment.path
        let namespace = try TestNetworkNamespace()
        defer { namespace.remove() }
        try deployment.consortium.node("nso-south", ip: ["127.0.0.1"]).write(directory: path, name: "south-node")
        let ui = "\(namespace.address):8080"
        func start(allowRemote: Bool) async throws -> TestNodeProcess {
            var configuration = NodeConfiguration(
                member: "nso-south", identity: "\(path)/south-node", root: "\(path)/root.pem",
                directory: "\(path)/directory.json", listen: "127.0.0.1:8443", store: "sqlite:\(path)/south/audit.db",
                data: "\(path)/south")
            configuration.crls = try deployment.consortium.writeCRLs(to: "\(path)/crls")
            configuration.ui = ui
            configuration.uiAllowRemote = allowRemote
            try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: "\(path)/south.json"))
            let node = try TestNodeProcess(
                arguments: ["node", "run", "--config", "\(path)/south.json"], log: "\(path)/south.log",
                namespace: namespace.name)
            try await Eventually.wait("the node in the namespace never served its UI", within: 90) {
                try await Self.status(of: "http://\(ui)/sign-in") != 0 || !node.process.isRunning
            }
            return node
        }
        // This host is another machine to the node: its address is the veth's far end, not a loopback one.
        let node = try await start(allowRemote: false)
        let refused = try await Subprocess.output(
            "curl", ["-s", "--max-time", "20", "-w", "\n%{http_code}", "http://\(ui)/sign-in"])
        #expect(
            refused.stdout.hasSuffix("403") && refused.stdout.contains("takes connections from this machine only"),
            "\(refused.stdout)")
        try await node.expectCleanStop()
        let log = try await AuditStores.with(try AuditStores.Address("sqlite:\(path)/south/audit.db")) {
            try await $0.entries(from: 1, limit: 1000)
        }
        #expect(
            log.contains {
                $0.action == .requestDenied && $0.actor.subject == "web UI client at \(namespace.hostAddress)"
                    && $0.details.contains("not a loopback address")
            }, "\(log.map(\.details))")
        // Allowed on purpose (TLS in front of it, as the docs say): the same request is served.
        let open = try await start(allowRemote: true)
        #expect(try await Self.status(of: "http://\(ui)/sign-in") == 200)
        try await open.expectCleanStop()
    }

    /// The HTTP status of a GET (0: no answer).
    static func status(of url: String) async throws -> Int {
        let output = try await Subprocess.output(
            "curl", ["-s", "-o", "/dev/null", "--max-time", "5", "-w", "%{http_code}", url])
        return Int(output.stdout) ?? 0
    }

    @Test(
        "a node does not start with an identity for its people that is another member's, lacks the role, or whose key others can read"
    )
    func identitiesChecked() async throws {
        let deployment = try await TaskSubmissionTests.Deployment(started: [])
        let path = deployment.path
        let consortium = deployment.consortium
        try consortium.node("nso-south", ip: ["127.0.0.1"]).write(directory: path, name: "south-node")
        try consortium.user("nso-north", name: "signer", roles: [.signer]).write(directory: path, name: "north-signer")
        try consortium.user("nso-south", name: "analyst", roles: [.analyst]).write(directory: path, name: "analyst")
        try consortium.user("nso-south", name: "uploader", roles: [.uploader]).write(directory: path, name: "uploader")
        let crls = try consortium.writeCRLs(to: "\(path)/crls")
        func load(_ identities: [String: String]) async -> String {
            var configuration = NodeConfiguration(
                member: "nso-south", identity: "south-node", root: "root.pem", directory: "directory.json",
                listen: "127.0.0.1:8443", store: "sqlite:south/audit.db", data: "south")
            configuration.crls = crls
            configuration.identities = identities
            do {
                _ = try await configuration.load(relativeTo: path)
                return "started"
            } catch { return "\(error)" }
        }
        #expect(await load(["uploader": "uploader", "analyst": "analyst"]) == "started")
        let other = await load(["signer": "north-signer"])
        #expect(other.contains("identities.signer") && other.contains("not a user of 'nso-south'"), "\(other)")
        let role = await load(["uploader": "analyst"])
        #expect(role.contains("with the role uploader"), "\(role)")
        let unknown = await load(["boss": "analyst"])
        #expect(unknown.contains("'boss' is not an internal role"), "\(unknown)")
        let missing = await load(["analyst": "nobody"])
        #expect(missing.contains("nobody.key"), "\(missing)")
        #expect(chmod("\(path)/uploader.key", 0o644) == 0)
        let open = await load(["uploader": "uploader"])
        #expect(open.contains("open to other users (mode 644)") && open.contains("chmod 600"), "\(open)")
    }
}
