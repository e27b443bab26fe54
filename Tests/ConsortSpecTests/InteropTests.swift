import ConsortPKI
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

/// Independent implementations read our documents the same way.
@Suite("Interoperability with Python JOSE and JSON Schema")
struct InteropTests {
    @Test(
        "joserfc verifies every signature of a Consort-signed CTS, and rejects a tampered one",
        .enabled(if: TestEnvironment.canRunPython(["joserfc", "cryptography"]), "python with joserfc is not installed"))
    func joserfc() async throws {
        let python = try TestEnvironment.requirePython(["joserfc", "cryptography"])
        let (consortium, signers) = try TestConsortium.household()
        _ = consortium
        var jws = MultiSignatureJWS(payload: Array(TestSpecifications.householdIncome().utf8))
        for (member, identity) in signers.sorted(by: { $0.key < $1.key }) { try jws.sign(as: identity, member: member) }
        let directory = try Subprocess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("signed.json").path
        try PEMFiles.write(String(decoding: jws.serialized(), as: UTF8.self), to: path)
        let script = TestData.repositoryRoot.appendingPathComponent("scripts/interop/verify_jws.py").path

        let output = try Subprocess.run(python, [script, path])
        #expect(output.succeeded, "\(output.stdout)\n\(output.stderr)")
        let valid = output.stdout.split(separator: "\n").filter { $0.hasPrefix("valid ") }
        #expect(valid.count == signers.count)
        #expect(output.stdout.contains("payload-sha256 \(jws.taskID)"))

        // Flip one signature byte: the independent verifier must refuse it too.
        var object = try #require(try StrictJSONReader().parse(jws.serialized()).objectValue)
        var entries = try #require(object["signatures"]?.arrayValue)
        var first = try #require(entries[0].objectValue)
        var signature = try need(Base64URL.decode(try need(first["signature"]?.stringValue)))
        signature[3] ^= 0x40
        first["signature"] = .string(Base64URL.encode(signature))
        entries[0] = .object(first)
        object["signatures"] = .array(entries)
        try PEMFiles.write(JSONWriter.string(.object(object)), to: path)
        let tampered = try Subprocess.run(python, [script, path])
        #expect(!tampered.succeeded)
        #expect(tampered.stdout.contains("invalid"))
    }

    @Test(
        "Python jsonschema and Consort agree on Specs/cts.schema.json",
        .enabled(if: TestEnvironment.canRunPython(["jsonschema"]), "python with jsonschema is not installed"),
        arguments: [
            ("valid", "", ""),
            ("unknown field", "\"query\":", "\"owner\": \"x\", \"query\":"),
            ("bad member id", "\"eurostat\"", "\"EuroStat\""),
            ("missing field", "\"disclosure\": {\"minGroupSize\": 5},", ""),
            ("wrong column type", "\"type\": \"integer\"", "\"type\": \"int\""),
            (
                "category without values",
                "\"type\": \"category\", \"values\": [\"north\", \"east\", \"south\", \"west\"]",
                "\"type\": \"category\""
            ),
            (
                "extra column property", "\"type\": \"integer\", \"min\": 0",
                "\"type\": \"integer\", \"scale\": 1, \"min\": 0"
            ),
            ("bad deadline", "\"outputs\": \"", "\"outputs\": \"soon"),
            ("zero rows", "\"maxRows\": 1000000", "\"maxRows\": 0"),
            ("unknown engine", "\"protocol\": \"replicated3\"", "\"protocol\": \"garbled\""),
        ])
    func schemaAgreement(_ name: String, _ find: String, _ replace: String) throws {
        let python = try TestEnvironment.requirePython(["jsonschema"])
        var text = TestSpecifications.householdIncome()
        if !find.isEmpty {
            #expect(text.contains(find), "fixture changed for \(name)")
            text = text.replacingOccurrences(of: find, with: replace)
        }
        let directory = try Subprocess.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("cts.json").path
        try PEMFiles.write(text, to: path)
        let schema = TestData.repositoryRoot.appendingPathComponent("Specs/cts.schema.json").path
        let check = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
            errors = list(validator.iter_errors(json.load(open(sys.argv[2]))))
            print("valid" if not errors else "invalid: " + errors[0].message)
            """
        let output = try Subprocess.run(python, ["-c", check, schema, path])
        #expect(output.succeeded, "\(output.stderr)")
        let schemaValid = output.stdout.hasPrefix("valid")
        let (cts, shape) = CTSReader.read(try StrictJSONReader().parse(Array(text.utf8)))
        let consortValid = cts != nil && shape.isEmpty
        #expect(schemaValid == consortValid, "\(name): jsonschema says \(output.stdout), Consort says \(shape)")
        #expect(consortValid == (name == "valid"))
    }
}
