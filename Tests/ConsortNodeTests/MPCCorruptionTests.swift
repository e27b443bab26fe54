import ConsortTesting
import Foundation
import Testing

/// `consort bench mpc --security active --corrupt`: three computing-party processes over mutual TLS, one of which
/// cheats once; the other two must abort before anything is released and name the cheater among their suspects.
/// Serialized: each case is three CPU-bound processes, and two dozen at once would starve the rest of the suite.
@Suite("Cheating computing parties over mutual TLS", .serialized)
struct MPCCorruptionTests {
    /// The bench's party processes choose their ports in the bench's process: a range apart from this process's and
    /// the demos' (scripts/test gives this process 20000–29999, the demos 30000–32700).
    static let ports = ["CONSORT_FREE_PORTS": "32701-34999"]

    struct Report: Decodable {
        var detected: Bool
        var released: Bool
        var blamed: Int?
        var suspects: [[Int]?]
        var errors: [String?]
    }

    static let cases: [(op: String, deviation: String)] = [
        ("mul", "wrong-product"), ("mul", "flip-proof-bit"), ("mul", "wrong-challenge"), ("mul", "wrong-final-share"),
        ("mul", "skip-check"), ("lt", "wrong-and"), ("lt", "wrong-bits"), ("lt", "wrong-conversion"),
    ]

    @Test(
        "every honest party aborts, none releases a share, and each names the cheater among its suspects, never itself",
        arguments: Self.cases, [0, 1, 2])
    func caught(_ corruption: (op: String, deviation: String), _ cheater: Int) async throws {
        let run = try await Subprocess.output(
            try TestEnvironment.consortExecutable().path,
            [
                "bench", "mpc", "--op", corruption.op, "--n", "300", "--security", "active", "--corrupt",
                "\(cheater):\(corruption.deviation)", "--json",
            ],
            environment: Self.ports)
        #expect(run.succeeded, "\(run.stdout) \(run.stderr)")
        let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
        #expect(report.detected && !report.released, "\(run.stdout)")
        for party in 0..<3 where party != cheater {
            let suspects = report.suspects[party] ?? []
            #expect(suspects.isEmpty || suspects.contains(cheater), "party \(party): \(report.errors[party] ?? "")")
            #expect(!suspects.contains(party))
        }
        // At least one honest party caught the deviation itself, rather than only seeing a peer go.
        #expect((0..<3).contains { $0 != cheater && !(report.suspects[$0] ?? []).isEmpty }, "\(run.stdout)")
    }

    @Test("a deviation the operation never reaches is refused, not reported as undetected")
    func neverReached() async throws {
        let run = try await Subprocess.output(
            try TestEnvironment.consortExecutable().path,
            ["bench", "mpc", "--op", "mul", "--n", "100", "--security", "active", "--corrupt", "1:wrong-opening"],
            environment: Self.ports)
        #expect(!run.succeeded)
        #expect(run.stderr.contains("never came up"), "\(run.stderr)")
    }
}
