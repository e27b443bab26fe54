import ConsortAudit
import ConsortMPC
import ConsortQuery
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

/// An upload is authorised before its body is read, and bounded by what the table can hold: a member that is no party
/// to the task cannot make a node hold its gigabyte, and an input party cannot send more than maxRows allow.
@Suite("Upload bodies are bounded before they are read", .serialized)
struct UploadLimitTests {
    /// The node's peak resident memory so far (VmHWM), in bytes.
    static func peakMemory(of pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { throw TestEnvironment.Unavailable(description: "no VmHWM in /proc/\(pid)/status") }
        return kilobytes * 1024
    }

    /// POSTs `megabytes` MiB of zeros (a sparse file, so neither side needs the memory to make it) as `identity` to the
    /// upload route, streamed by curl with its Content-Length, or chunked without one; returns what curl printed.
    static func upload(
        _ megabytes: Int, as identity: String, task: String, path: String, port: Int, chunked: Bool = false
    ) async throws -> String {
        let file = "\(path)/zeros-\(megabytes).bin"
        if !FileManager.default.fileExists(atPath: file) {
            try #require(FileManager.default.createFile(atPath: file, contents: nil))
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
            try handle.truncate(atOffset: UInt64(megabytes) << 20)
            try handle.close()
        }
        return try await Self.upload(file: file, as: identity, task: task, path: path, port: port, chunked: chunked)
    }

    /// POSTs `file` as `identity` to the upload route of the households table, streamed by curl.
    static func upload(
        file: String, as identity: String, task: String, path: String, port: Int, chunked: Bool = false,
        query: String = "batch=flood"
    ) async throws -> String {
        let source = chunked ? "-T - < '\(file)'" : "-T '\(file)'"
        let script = """
            curl -s --max-time 300 -X POST --cacert '\(path)/root.pem' --cert '\(path)/\(identity).pem' \
              --key '\(path)/\(identity).key' -H 'Content-Type: application/octet-stream' -H 'Expect:' \
              -w ' HTTP %{http_code}' \(source) \
              'https://127.0.0.1:\(port)/v1/tasks/\(task)/inputs/households?\(query)'
            """
        let output = try await Subprocess.output("/bin/sh", ["-c", script])
        return output.stdout + output.stderr
    }

    @Test(
        "three 1 GiB uploads at once from a member that is no input party: refused unread, peak memory grows < 64 MiB")
    func strangersGigabyte() async throws {
        let deployment = try await TaskSubmissionTests.Deployment()
        let (task, _) = try await deployment.submit(TestSpecifications.householdIncome())
        let node = deployment.nodes[0].process.processIdentifier
        let before = try Self.peakMemory(of: node)
        // eurostat is the task's output party, not an input party of the table.
        let (path, port) = (deployment.path, deployment.ports[0])
        let answers = await withTaskGroup(of: String.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    do {
                        return try await Self.upload(
                            1024, as: "analyst", task: task, path: path, port: port, chunked: true)
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let growth = try Self.peakMemory(of: node) - before
        for answer in answers { #expect(answer.contains("HTTP 403") && answer.contains("forbidden"), "\(answer)") }
        #expect(growth < 64 << 20, "peak memory grew by \(growth >> 20) MiB")
        for node in deployment.nodes { try await node.expectCleanStop() }
        let rejected = try await deployment.audit("cp-a").filter {
            $0.action == .requestDenied || $0.action == .inputRejected
        }
        #expect(rejected.count >= 3)
    }

    @Test("an input party's body larger than the table's maxRows allow is refused with 413, unread")
    func partysOversizedBody() async throws {
        let deployment = try await TaskSubmissionTests.Deployment()
        let text = TestSpecifications.householdIncome().replacingOccurrences(
            of: #""maxRows": 1000000"#, with: #""maxRows": 1000"#)
        let (task, _) = try await deployment.submit(text)
        let node = deployment.nodes[0].process.processIdentifier
        let before = try Self.peakMemory(of: node)
        let answer = try await Self.upload(
            512, as: "north-uploader", task: task, path: deployment.path, port: deployment.ports[0])
        let growth = try Self.peakMemory(of: node) - before
        #expect(answer.contains("HTTP 413") && answer.contains("maxRows 1000"), "\(answer)")
        #expect(growth < 64 << 20, "peak memory grew by \(growth >> 20) MiB")
        for node in deployment.nodes { try await node.expectCleanStop() }
        let rejected = try await deployment.audit("cp-a").filter { $0.action == .inputRejected }
        #expect(rejected.contains { $0.details.contains("larger than the largest envelope") })
    }

    @Test("an input party's 2 GiB batch streams to disk: taken whole, the node's peak memory grows < 64 MiB")
    func twoGigabyteBatch() async throws {
        let deployment = try await TaskSubmissionTests.Deployment()
        let text = TestSpecifications.householdIncome().replacingOccurrences(
            of: #""maxRows": 1000000"#, with: #""maxRows": 100000000"#)
        let (task, cts) = try await deployment.submit(text)
        let table = try #require(cts.table(named: "households"))
        // A valid envelope for cp-a of just over 2 GiB: its frame and header, then zeros (a sparse file).
        let columns = table.storedColumnNames
        let perRow = columns.count * Replicated3.Share.bytesPerElement
        let rows = ((2 << 30) + perRow - 1) / perRow
        let header = Array(
            try JSONEncoder().encode(
                try TaskShares(task: task, cts: cts).header(party: 0, columns: columns, rows: rows)))
        let length = UInt32(header.count)
        let prefix =
            Array("CSHR".utf8) + [1, UInt8(length & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length >> 16 & 0xFF), 0]
            + header
        let file = "\(deployment.path)/batch.shares"
        try #require(FileManager.default.createFile(atPath: file, contents: Data(prefix)))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try handle.truncate(atOffset: UInt64(prefix.count + rows * perRow))
        try handle.close()

        let node = deployment.nodes[0].process.processIdentifier
        let before = try Self.peakMemory(of: node)
        let answer = try await Self.upload(
            file: file, as: "north-uploader", task: task, path: deployment.path, port: deployment.ports[0],
            query: "batch=big&final=false")
        let growth = try Self.peakMemory(of: node) - before
        #expect(answer.hasSuffix("HTTP 201") && answer.contains(#""rows":\#(rows)"#), "\(answer.prefix(2000))")
        #expect(growth < 64 << 20, "peak memory grew by \(growth >> 20) MiB")
        let stored = TaskSubmissionTests.Deployment.shareFiles(
            of: "nso-north", at: "\(deployment.path)/cp-a/tasks/\(task)")
        #expect(stored.count == 1)
        let size = try stored.first.map {
            try FileManager.default.attributesOfItem(
                atPath: "\(deployment.path)/cp-a/tasks/\(task)/inputs/households/\($0)")[.size] as? Int
        }
        #expect(size == prefix.count + rows * perRow)
        for node in deployment.nodes { try await node.expectCleanStop() }
    }
}
