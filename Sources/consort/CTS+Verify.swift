import ArgumentParser
import ConsortPKI
import ConsortQuery
import ConsortSpec
import Foundation

extension CTS {
    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify every signature of a signed CTS and report who has signed.",
            discussion: """
                Exit status 0 only if every signature is valid and the CTS is valid (and, with --require-complete,
                every input, output and computing party has signed).

                Example:
                  consort cts verify task.signed.json --root op/operator.pem \\
                    --crl op/operator.crl --require-complete
                """
        )

        @Argument(help: "The signed CTS (JWS JSON serialization).")
        var file: String

        @Option(help: "The operator root certificate (PEM).")
        var root: String

        @Option(help: "A CRL to check signers against (repeatable).")
        var crl: [String] = []

        @Flag(name: .customLong("require-complete"), help: "Also require a valid signature of every required party.")
        var requireComplete = false

        @Option(help: "Verify as of this ISO 8601 time instead of now.")
        var at: String?

        func run() async throws {
            let document = try SpecificationDocument.read(file)
            guard let jws = document.jws else {
                throw ValidationError("'\(file)' is not signed: sign it first with 'consort cts sign'")
            }
            let rootCertificate = try PEMFiles.readCertificates(root)[0]
            let crls = try crl.map(CertificateRevocationList.read)
            let verifier = SpecificationVerifier(
                certificates: ConsortVerifier(root: rootCertificate, crls: crls), engines: EngineRegistry.shared)
            let report = await verifier.verify(jws, at: try at.map(Files.parseTime) ?? Date())
            print("task id:    \(report.taskID)")
            if let cts = report.specification { print("task:       \(cts.id) — \(cts.title)") }
            print("signatures:")
            for result in report.signatures {
                let who = result.member?.rawValue ?? "?"
                let subject = result.subject.map { " (\($0))" } ?? ""
                if result.isValid {
                    let when = result.signedAt.map { ", signed \(DocumentReader.formatTimestamp($0))" } ?? ""
                    print("  \(result.index + 1). \(who)\(subject): valid\(when)")
                } else {
                    print("  \(result.index + 1). \(who)\(subject): INVALID — \(result.problem?.message ?? "unknown")")
                }
            }
            if let problem = report.documentProblem { print("document:   INVALID — \(problem)") }
            for diagnostic in report.diagnostics { print("  \(diagnostic)") }
            print(
                "missing:    \(report.missingSigners.isEmpty ? "none" : report.missingSigners.map(\.rawValue).joined(separator: ", "))"
            )
            do {
                try report.requireValid(complete: requireComplete)
            } catch let error as SpecError {
                print("result:     not valid: \(error.message)")
                throw ExitCode(1)
            }
            // The computing parties refuse a task whose query they cannot run; so does this check.
            if let cts = report.specification {
                do { _ = try await QueryAdmission.admit(cts) } catch {
                    print("query:      REJECTED — \(error)")
                    print("result:     not valid: the computing parties would refuse this task's query")
                    throw ExitCode(1)
                }
            }
            print(
                "result:     \(report.isComplete ? "valid and complete: the CTS is in force once every computing party accepts it" : "valid signatures, not yet complete")"
            )
        }
    }
}
