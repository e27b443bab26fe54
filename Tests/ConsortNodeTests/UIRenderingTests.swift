import ConsortPKI
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Foundation
import NIOCore
import Testing

@testable import ConsortNode

/// The pieces of the web UI's pages that are pure logic: charts, the diff between versions, the dry run, deadline
/// warnings, multipart forms and one-time links.
@Suite("Web UI rendering")
struct UIRenderingTests {
    static let result = QueryResult(
        columns: ["region", "n", "mean_income"], types: ["text", "integer", "decimal"],
        rows: [
            [.text("north"), .integer(40), .decimal(units: 123_456, scale: 2)],
            [.text("<east>"), .integer(-10), .real(2.5)],
            [.text("south"), nil, nil],
        ], suppressed: 1, excludedRows: [:])

    @Test(
        "one key: a bar per group and aggregate, negative values left of the axis, suppressed cells named, text escaped"
    )
    func bars() {
        let charts = ResultChart.charts(Self.result, groups: [true, false, false])
        #expect(charts.map(\.title) == ["n by region", "mean_income by region"])
        let svg = charts[0].svg
        #expect(svg.components(separatedBy: "<rect").count - 1 == 2, "a bar per value, none for the suppressed cell")
        #expect(svg.contains("&lt;east&gt;") && !svg.contains("<east>"))
        #expect(svg.contains(">suppressed</text>"))
        // -10 is drawn left of the axis, which sits in the middle when a value is negative.
        #expect(svg.contains(#"x1="390""#), "\(svg)")
    }

    @Test("two keys: a heat map of the first aggregate, a cell per combination, absent ones blank")
    func heatMap() {
        let result = QueryResult(
            columns: ["region", "tenure", "n"], types: ["text", "text", "integer"],
            rows: [
                [.text("north"), .text("own"), .integer(10)], [.text("north"), .text("rent"), .integer(30)],
                [.text("south"), .text("own"), nil],
            ], suppressed: 1, excludedRows: [:])
        let charts = ResultChart.charts(result, groups: [true, true, false])
        #expect(charts.count == 1 && charts[0].title == "n by region and tenure")
        let svg = charts[0].svg
        #expect(svg.components(separatedBy: "<rect").count - 1 == 4, "2 × 2 cells")
        #expect(svg.contains("rgb(230,238,250)") && svg.contains("rgb(50,88,160)"), "lowest and highest shade")
        #expect(svg.contains(">(suppressed)</text>") && svg.contains(##"fill="#eeeeee""##))
        #expect(ResultChart.charts(result, groups: [false, false, false]).isEmpty, "no key, no chart")
    }

    @Test("the diff marks removed and added lines with context, and leaves out unchanged runs")
    func diff() {
        let old = (1...20).map { "line \($0)" }.joined(separator: "\n")
        var lines = (1...20).map { "line \($0)" }
        lines[9] = "line ten"
        let diff = ReviewAids.diff(old, lines.joined(separator: "\n"))
        #expect(diff.filter { $0.kind == .removed }.map(\.text) == ["line 10"])
        #expect(diff.filter { $0.kind == .added }.map(\.text) == ["line ten"])
        #expect(diff.filter { $0.kind == .same }.count == 4, "two lines of context each side")
        #expect(diff.first?.kind == .gap && diff.last?.kind == .gap)
        #expect(ReviewAids.diff(old, old).allSatisfy { $0.kind == .gap })
    }

    @Test("deadlines: a warning within 12 hours, and past ones")
    func deadlines() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let rows = UIController.deadlines(
            .init(
                inputs: now.addingTimeInterval(-60), compute: now.addingTimeInterval(3 * 3600 + 120),
                outputs: now.addingTimeInterval(86_400)), now: now)
        #expect(rows[0]["soon"] as? String == "past")
        #expect(rows[1]["soon"] as? String == "in 3 h 2 min")
        #expect(rows[2]["soon"] as? Bool == false)
    }

    @Test("a multipart form: fields, a file's name and bytes; the boundary from the content type")
    func multipart() throws {
        #expect(MultipartForm.boundary("multipart/form-data; boundary=\"abc\"") == "abc")
        #expect(MultipartForm.boundary("application/x-www-form-urlencoded") == nil)
        let body =
            "--abc\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntoken\r\n"
            + "--abc\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a b.csv\"\r\n"
            + "Content-Type: text/csv\r\n\r\nregion,age\r\nnorth,3\r\n--abc--\r\n"
        let form = try MultipartForm(ByteBuffer(string: body), boundary: "abc")
        #expect(form.fields["csrf"]?.text == "token")
        #expect(form.fields["file"]?.filename == "a b.csv")
        #expect(form.fields["file"]?.text == "region,age\r\nnorth,3")
    }

    @Test("a sign-in link works once, only before it expires, only for a user that exists")
    func links() throws {
        let data = try Subprocess.temporaryDirectory("consort-links").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        #expect(throws: NodeError.self) { try SignInLinks.issue(user: "alice", data: data, validFor: 60) }
        try LocalUsers.add(name: "alice", roles: [.signer], password: "a long password!", data: data)
        let token = try SignInLinks.issue(user: "alice", data: data, validFor: 60)
        let other = (token.first == "A" ? "B" : "A") + token.dropFirst()
        #expect(SignInLinks.redeem(other, data: data) == nil, "another token signs nobody in")
        #expect(SignInLinks.redeem(token, data: data) == "alice")
        #expect(SignInLinks.redeem(token, data: data) == nil, "a link signs in once")
        let late = try SignInLinks.issue(user: "alice", data: data, validFor: 60)
        #expect(SignInLinks.redeem(late, data: data, now: Date().addingTimeInterval(120)) == nil)
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(data)/ui-links")
        #expect(files.allSatisfy { !$0.contains(token) }, "the token itself is never stored")
    }
}
