import ConsortAudit
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The whole task in a browser, as `consort demo --ui` offers it: seven members' nodes (three computing parties, two
/// statistics offices, an output party, an auditor), each with its web UI, driven in headless Chromium. The first
/// office proposes the household-income CTS in its UI; every member signs in its own; both offices upload (the
/// first a file with mistakes, which are listed, then a good one); the output party sees the result, equal to the
/// plaintext one, with a chart; the auditor sees every log verified. A screenshot of each page is written to
/// `.build/test-output/web-ui/walkthrough/`.
@Suite("The whole task in the browser")
struct BrowserWalkthroughTests {
    /// The demo's UIs: member → its one-time sign-in link.
    static func links(in output: String) -> [String: String] {
        var links: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 2, words[1].hasPrefix("http://"), words[1].contains("/sign-in/link/") {
                links[String(words[0])] = String(words[1])
            }
        }
        return links
    }

    static func base(_ link: String) -> String { String(link[..<link.range(of: "/sign-in/link/")!.lowerBound]) }

    /// The cells of the result table, row by row.
    static func cells(_ page: String) -> [[String]] {
        guard let start = page.range(of: #"<table id="result">"#),
            let end = page.range(of: "</table>", range: start.upperBound..<page.endIndex)
        else { return [] }
        let body = page[start.upperBound..<end.lowerBound]
        return body.components(separatedBy: "<tr>").dropFirst(2).map { row in
            row.components(separatedBy: "<td").dropFirst().map { cell in
                let text = cell.drop { $0 != ">" }.dropFirst()
                return String(text.prefix { $0 != "<" })
            }
        }
    }

    @Test(
        "seven members' web UIs: propose, every member signs, uploads with a listed mistake, result with chart, audit verified",
        .enabled(if: WebDriver.available, "chromium and chromedriver are not installed"))
    func wholeTask() async throws {
        let folder = try Subprocess.temporaryDirectory("consort-walkthrough")
        defer { try? FileManager.default.removeItem(at: folder) }
        let root = folder.appendingPathComponent("demo").path
        let demo = try TestNodeProcess(
            arguments: ["demo", "--ui", "--keep", root, "--records", "600"], log: "\(folder.path)/demo.log",
            environment: DemoTests.walkthroughPorts)
        try await Eventually.wait("the demo never printed its links", within: 120) {
            guard demo.process.isRunning else { return true }
            let text = (try? String(contentsOfFile: demo.logPath, encoding: .utf8)) ?? ""
            return text.contains("the nodes run until interrupted")
        }
        let output = try String(contentsOfFile: demo.logPath, encoding: .utf8)
        let links = Self.links(in: output)
        try #require(links.count == 7, "the demo printed no link for every member: \(output)")
        let shots = TestData.repositoryRoot.appendingPathComponent(".build/test-output/web-ui/walkthrough").path
        try? FileManager.default.removeItem(atPath: shots)  // this run's pages only
        var shot = 0
        let browser = try await WebDriver()
        func screenshot(_ name: String) async throws {
            shot += 1
            try await browser.screenshot(to: "\(shots)/\(String(format: "%02d", shot))-\(name).png")
        }
        var task = ""
        var resultPage = ""
        do {
            // nso-north proposes the draft in its UI (a one-time link signs the person in).
            let north = Self.base(links["nso-north"]!)
            try await browser.open(links["nso-north"]!)
            #expect(try await browser.url() == "\(north)/", "the link did not sign in")
            try await screenshot("north-overview")
            try await browser.click("a[href='/proposals/new']")
            try await browser.type("\(root)/household-draft.json", into: "#file")
            try await screenshot("north-new-proposal")
            try await browser.click("form[action='/proposals'] button")
            let proposalURL = try await browser.url()
            let proposal = String(proposalURL.split(separator: "/").last ?? "")
            #expect(proposalURL.hasPrefix("\(north)/proposals/") && proposal.count == 32, "\(proposalURL)")
            let review = try await browser.source()
            #expect(review.contains("Dry run on synthetic data") && review.contains("mean_income"), "\(review)")
            try await screenshot("north-review")

            // Every member whose signature the CTS requires signs in its own UI.
            for member in ["nso-north", "nso-south", "eurostat", "cp-a", "cp-b", "cp-c"] {
                let base = Self.base(links[member]!)
                if member != "nso-north" {
                    try await browser.open(links[member]!)
                    try await Eventually.wait("the proposal never reached \(member)'s node", within: 60) {
                        try await browser.open("\(base)/")
                        return try await browser.source().contains("your signature is needed")
                    }
                    if member == "nso-south" { try await screenshot("south-waiting") }
                    try await browser.open("\(base)/proposals/\(proposal)")
                }
                try await browser.click("form[action$='/sign'] button")
                if member == "cp-c" {
                    // The other members' signatures reach cp-c's node on their own schedule (delivery retries): its
                    // page, reloaded, soon lists nobody missing.
                    try await Eventually.wait("after the last signature nobody should be missing", within: 60) {
                        try await browser.open("\(base)/proposals/\(proposal)")
                        return try await browser.source().contains("<dd>nobody</dd>")
                    }
                }
            }
            // The proposer's node submits the CTS once every signature is in: the proposal names its task.
            try await Eventually.wait("the proposal was never submitted as a task", within: 60) {
                try await browser.open("\(north)/proposals/\(proposal)")
                let page = try await browser.source()
                guard let range = page.range(of: #"task [0-9a-f]{64}"#, options: .regularExpression) else {
                    return false
                }
                task = String(page[range].dropFirst(5))
                return true
            }
            try await screenshot("north-submitted")

            // nso-north uploads a file with mistakes first: every one is listed, nothing is shared.
            try await browser.open("\(north)/tasks/\(task)")
            try await browser.type("\(root)/nso-north/households-with-errors.csv", into: "#file")
            try await browser.click("form[enctype='multipart/form-data'] button")
            let refused = try await browser.source()
            #expect(
                refused.contains("3 problem(s) found") && refused.contains("Atlantis")
                    && refused.contains("250 is outside 0...120") && refused.contains("is not a decimal"),
                "\(refused)")
            try await screenshot("north-upload-errors")
            for office in ["nso-north", "nso-south"] {
                let base = Self.base(links[office]!)
                if office == "nso-south" {
                    // The overview puts the task first, saying what it waits for from this person (signed in since
                    // signing: the link was for once).
                    try await browser.open("\(base)/")
                    let overview = try await browser.source()
                    #expect(overview.contains("your upload of households is needed"), "\(overview)")
                    try await screenshot("south-overview-task")
                }
                try await browser.open("\(base)/tasks/\(task)")
                try await browser.type("\(root)/\(office)/households.csv", into: "#file")
                try await browser.click("form[enctype='multipart/form-data'] button")
                #expect(try await browser.url().contains("/tasks/\(task)/uploads/"))
                try await Eventually.wait("\(office)'s upload never finished", within: 60) {
                    try await browser.open(try await browser.url())
                    return try await !browser.source().contains("Uploading…")
                }
                let done = try await browser.source()
                #expect(
                    done.contains("Every computing party took its share and signed a receipt")
                        && done.components(separatedBy: "receipt signed by its node").count == 4, "\(done)")
                try await screenshot("\(office)-uploaded")
                try await browser.open("\(base)/tasks/\(task)")
                #expect(try await browser.source().components(separatedBy: "SHA-256").count == 4)
                try await screenshot("\(office)-receipts")
            }

            // eurostat sees the result once the computing parties have it.
            let eurostat = Self.base(links["eurostat"]!)
            try await Eventually.wait("the result was never ready at eurostat", within: 120) {
                try await browser.open("\(eurostat)/")
                return try await browser.source().contains("the result is ready for you")
            }
            try await screenshot("eurostat-overview")
            try await browser.click("a[href='/tasks/\(task)']")
            try await browser.click("a[href='/tasks/\(task)/result']")
            #expect(try await browser.title().hasPrefix("Result of"))
            resultPage = try await browser.source()
            try await screenshot("eurostat-result")

            // The auditor pulls and verifies every node's log.
            let auditor = Self.base(links["auditor"]!)
            try await browser.open(links["auditor"]!)
            try await browser.open("\(auditor)/audit")
            try await browser.click("form[action='/audit'] button")
            let audit = try await browser.source()
            #expect(
                audit.contains("Verified: every log is intact") && audit.contains("7 node(s) agree on 1 task(s)")
                    && !audit.contains("FAILED"), "\(audit)")
            try await screenshot("auditor-verified")
        } catch {
            await browser.quit()
            _ = try? await demo.stop(signal: SIGINT)
            throw error
        }
        await browser.quit()
        #expect(try await demo.stop(signal: SIGINT) == 0, "the demo did not stop cleanly on Ctrl-C")

        // The result equals the plaintext one on the pooled files (which no member ever holds), and has a chart.
        let cts = try #require(
            try SpecificationDocument(
                bytes: Array(try Data(contentsOf: URL(fileURLWithPath: "\(root)/household-draft.json")))
            )
            .specification().0)
        let plan = try QueryChecker.check(cts)
        let pooled = TableData.union(
            try ["nso-north", "nso-south"].map {
                try CSVTable.read("\(root)/\($0)/households.csv", table: plan.table)
            })
        let expected = try PlainEngine.run(plan, on: pooled)
        let shown = Self.cells(resultPage)
        #expect(shown.count == expected.rows.count, "\(shown)")
        for (row, cells) in zip(expected.rows, shown) {
            for (value, text) in zip(row, cells) {
                switch value {
                case nil: #expect(text == "suppressed")
                case .text(let label)?: #expect(text == label)
                case let value?:
                    let number = try #require(Double(text), "'\(text)' is not a number")
                    let exact = try #require(value.doubleValue)
                    #expect(abs(number - exact) <= max(1e-6, 1e-6 * abs(exact)), "\(text) vs \(exact)")
                }
            }
        }
        #expect(resultPage.contains("<svg") && resultPage.contains("mean_income by region"), "no chart")

        // Every step is in the audit logs of the nodes involved, with the person's name.
        func log(_ member: String) async throws -> [AuditEntry] {
            try await AuditStores.with(try AuditStores.Address("sqlite:\(root)/\(member)/data/audit.db")) {
                try await $0.entries(from: 1, limit: 5000)
            }
        }
        func person(_ member: String) -> String { "consort://\(member)/ui-user/demo" }
        let north = try await log("nso-north")
        #expect(north.contains { $0.action == .uiSignedIn && $0.details.contains("one-time link") })
        #expect(north.contains { $0.action == .proposalCreated && $0.actor.subject == person("nso-north") })
        #expect(north.contains { $0.action == .requestDenied && $0.details.contains("3 problem(s)") })
        #expect(north.contains { $0.action == .uiUploaded && $0.details.contains(#""failures":0"#) })
        for member in ["nso-south", "eurostat", "cp-a", "cp-b", "cp-c"] {
            #expect(
                try await log(member).contains { $0.action == .proposalSigned && $0.actor.subject == person(member) },
                "\(member)'s signature is not audited")
        }
        #expect(try await log("eurostat").contains { $0.action == .uiResultFetched })
        #expect(
            try await log("auditor").contains {
                $0.action == .uiAuditVerified && $0.details.contains(#""verified":true"#)
            })
        for page in ["north-overview", "north-review", "north-upload-errors", "eurostat-result", "auditor-verified"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: shots)) ?? []
            #expect(names.contains { $0.hasSuffix("-\(page).png") }, "no screenshot of \(page)")
        }
    }
}
