import ConsortTesting
import Foundation
import Testing

/// What a host installs, checked offline with the tools of each format: the Compose file against the Compose
/// specification's JSON Schema, the Kubernetes manifests with `kubernetes-validate --strict`, the systemd unit with
/// `systemd-analyze verify` and its exposure with `systemd-analyze security --offline`.
@Suite("Deployment files")
struct DeploymentFilesTests {
    static let deploy = TestData.repositoryRoot.appendingPathComponent("Deploy").path

    @Test(
        "Deploy/compose.yaml is valid under the Compose specification's schema",
        .enabled(if: TestEnvironment.canRunPython(["yaml", "jsonschema"]), "needs python with pyyaml and jsonschema"))
    func compose() throws {
        let python = try TestEnvironment.requirePython(["yaml", "jsonschema"])
        let schema = try TestData.file("compose-spec/compose-spec.json").path
        let script = """
            import json, sys, yaml, jsonschema
            document = yaml.safe_load(open(sys.argv[1]))
            jsonschema.validate(document, json.load(open(sys.argv[2])))
            print(sorted(document["services"]))
            """
        let output = try Subprocess.run(python, ["-c", script, "\(Self.deploy)/compose.yaml", schema])
        #expect(output.succeeded && output.stdout.contains("['cp-a', 'cp-b', 'cp-c']"), "\(output.stderr)")

        // The check can fail: a service with an unknown key is refused.
        let broken = try String(contentsOfFile: "\(Self.deploy)/compose.yaml", encoding: .utf8)
            .replacingOccurrences(of: "  cp-a:\n", with: "  cp-a:\n    restarts: always\n")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("compose-\(UUID().uuidString).yaml")
        try broken.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let refused = try Subprocess.run(python, ["-c", script, file.path, schema])
        #expect(!refused.succeeded && refused.stderr.contains("restarts"), "\(refused.stdout) \(refused.stderr)")
    }

    @Test(
        "Deploy/kubernetes is valid for Kubernetes (strict: no unknown fields), with probes and a network policy",
        .enabled(if: TestEnvironment.canRunPython(["kubernetes_validate"]), "needs python with kubernetes-validate"))
    func kubernetes() throws {
        let python = try TestEnvironment.requirePython(["kubernetes_validate"])
        let manifests = "\(Self.deploy)/kubernetes/consortium.yaml"
        let output = try Subprocess.run(
            python, ["-m", "kubernetes_validate", "--strict", "--kubernetes-version", "1.30", manifests])
        #expect(output.succeeded, "\(output.stdout) \(output.stderr)")
        let text = try String(contentsOfFile: manifests, encoding: .utf8)
        #expect(text.components(separatedBy: "kind: StatefulSet").count == 4)
        #expect(text.components(separatedBy: "livenessProbe:").count == 4)
        #expect(text.contains("kind: NetworkPolicy"))

        // The check can fail: a misspelt field is refused under --strict (not merely ignored).
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("k8s-\(UUID().uuidString).yaml")
        try text.replacingOccurrences(of: "terminationGracePeriodSeconds:", with: "terminationGracePeriod:").write(
            to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let refused = try Subprocess.run(
            python, ["-m", "kubernetes_validate", "--strict", "--kubernetes-version", "1.30", file.path])
        #expect(
            !refused.succeeded && (refused.stdout + refused.stderr).contains("'terminationGracePeriod' was unexpected"),
            "\(refused.stdout)")
    }

    @Test(
        "the systemd unit verifies, and its exposure under systemd-analyze security is low",
        .enabled(
            if: TestEnvironment.isStrict || Subprocess.which("systemd-analyze") != nil, "needs systemd-analyze"))
    func systemdUnit() throws {
        // A root with systemd's own units, the unit, and the binary where the unit expects it.
        let root = try Subprocess.temporaryDirectory("consort-unit")
        defer { try? FileManager.default.removeItem(at: root) }
        let units = root.appendingPathComponent("etc/systemd/system")
        try FileManager.default.createDirectory(at: units, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("usr/bin"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: root.appendingPathComponent("usr/lib/systemd"), withIntermediateDirectories: true)
        let systemUnits = ["/usr/lib/systemd/system", "/lib/systemd/system"].first {
            FileManager.default.fileExists(atPath: "\($0)/multi-user.target")
        }
        let copied = try Subprocess.run(
            "cp",
            [
                "-r", try #require(systemUnits, "no systemd units here"),
                root.appendingPathComponent("usr/lib/systemd/").path,
            ])
        try #require(copied.succeeded, "\(copied.stderr)")
        try FileManager.default.copyItem(
            atPath: try TestEnvironment.consortExecutable().path,
            toPath: root.appendingPathComponent("usr/bin/consort").path)
        let unit = units.appendingPathComponent("consort-node.service").path
        try FileManager.default.copyItem(atPath: "\(Self.deploy)/debian/consort-node.service", toPath: unit)

        let verified = try Subprocess.run("systemd-analyze", ["verify", "--root=\(root.path)", unit])
        #expect(verified.succeeded && verified.stderr.isEmpty, "\(verified.stdout) \(verified.stderr)")
        let security = try Subprocess.run(
            "systemd-analyze", ["security", "--offline=true", "--root=\(root.path)", "--no-pager", unit])
        let text = security.stdout + security.stderr
        let level = text.range(
            of: #"Overall exposure level for consort-node.service: ([0-9.]+)"#, options: .regularExpression
        )
        .flatMap { Double(text[$0].split(separator: " ").last ?? "") }
        #expect(level.map { $0 <= 2.0 } ?? false, "exposure: \(text.suffix(400))")
    }
}
