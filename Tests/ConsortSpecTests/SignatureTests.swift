import ConsortPKI
import ConsortSpec
import ConsortTesting
import Crypto
import Foundation
import Testing

@Suite("Multi-signature JWS over a CTS")
struct SignatureTests {
    let consortium: TestConsortium
    let signers: [MemberID: SigningIdentity]
    let payload: [UInt8]
    static let required = ["nso-north", "nso-south", "eurostat", "cp-a", "cp-b", "cp-c"]

    init() throws {
        (self.consortium, self.signers) = try TestConsortium.household()
        self.payload = Array(TestSpecifications.householdIncome().utf8)
    }

    func signed(_ payload: [UInt8]? = nil, by members: [String] = Self.required) throws -> MultiSignatureJWS {
        var jws = MultiSignatureJWS(payload: payload ?? self.payload)
        for member in members {
            let id = try MemberID(member)
            try jws.sign(as: try #require(self.signers[id]), member: id)
        }
        return jws
    }

    func verify(_ jws: MultiSignatureJWS, crls: [CertificateRevocationList] = []) async -> SpecificationVerifier.Report
    {
        await SpecificationVerifier(certificates: self.consortium.verifier(crls: crls)).verify(jws)
    }

    /// Re-reads a JWS after replacing parts of its JSON, as an attacker editing the file would.
    func edited(_ jws: MultiSignatureJWS, _ edit: (inout JSONObject) throws -> Void) throws -> MultiSignatureJWS {
        var object = try need(try StrictJSONReader().parse(jws.serialized()).objectValue)
        try edit(&object)
        return try MultiSignatureJWS(parsing: JSONWriter.write(.object(object)))
    }

    func signatureEntries(_ object: JSONObject) throws -> [JSONObject] {
        try need(object["signatures"]?.arrayValue).map { try need($0.objectValue) }
    }

    @Test("a completely signed CTS verifies, and the task id is the payload's SHA-256")
    func complete() async throws {
        let jws = try self.signed()
        let reparsed = try MultiSignatureJWS(parsing: jws.serialized())
        let report = await self.verify(reparsed)
        #expect(report.firstProblem == nil)
        #expect(report.isComplete)
        #expect(report.validSigners.count == 6)
        #expect(report.taskID == Hex.encode(SHA256.hash(data: self.payload)))
        #expect(reparsed.payload == self.payload)
        try report.requireValid(complete: true)
    }

    @Test("flipped payload byte")
    func flippedPayload() async throws {
        let jws = try self.edited(try self.signed()) { object in
            var bytes = self.payload
            bytes[bytes.firstIndex(of: UInt8(ascii: "5"))!] = UInt8(ascii: "4")  // minGroupSize 5 → 4
            object["payload"] = .string(Base64URL.encode(bytes))
        }
        let report = await self.verify(jws)
        #expect(report.documentProblem?.code == .payloadAltered)
        #expect(report.firstProblem?.message.contains("altered after signing") == true)
    }

    @Test("flipped signature byte")
    func flippedSignature() async throws {
        let jws = try self.edited(try self.signed()) { object in
            var entries = try self.signatureEntries(object)
            var signature = try need(Base64URL.decode(try need(entries[2]["signature"]?.stringValue)))
            signature[10] ^= 0x01
            entries[2]["signature"] = .string(Base64URL.encode(signature))
            object["signatures"] = .array(entries.map { .object($0) })
        }
        let report = await self.verify(jws)
        #expect(report.signatures[2].problem?.code == .badSignature)
        #expect(report.signatures.enumerated().allSatisfy { $0.offset == 2 || $0.element.isValid })
        #expect(report.missingSigners == [try MemberID("eurostat")])
    }

    @Test("removed signature")
    func removedSignature() async throws {
        let jws = try self.signed(by: Array(Self.required.dropLast()))
        let report = await self.verify(jws)
        #expect(report.firstProblem == nil)
        #expect(report.missingSigners == [try MemberID("cp-c")])
        #expect(throws: SpecError(.missingSignature, "")) { try report.requireValid(complete: true) }
    }

    @Test("signature from a member that is not a party")
    func nonMember() async throws {
        var consortium = self.consortium
        try consortium.admit("outsider", roles: [.input])
        let outsider = try consortium.user("outsider", name: "eve", roles: [.signer])
        var jws = try self.signed()
        try jws.sign(as: outsider, member: try MemberID("outsider"))
        let report = await SpecificationVerifier(certificates: consortium.verifier()).verify(jws)
        #expect(report.signatures.last?.problem?.code == .signerNotParty)
        #expect(report.signatures.dropLast().allSatisfy { $0.isValid })
    }

    @Test("signature from a revoked signer")
    func revokedSigner() async throws {
        let north = try MemberID("nso-north")
        let crl = try self.consortium.crl(
            by: try self.consortium.member("nso-north").authority,
            revoking: [try #require(self.signers[north]).certificate])
        let report = await self.verify(try self.signed(), crls: [crl])
        #expect(report.signatures[0].problem?.code == .untrustedSigner)
        #expect(report.signatures[0].problem?.message.contains("revoked") == true)
        #expect(report.signatures.dropFirst().allSatisfy { $0.isValid })
    }

    @Test("signature from a user without the signer role")
    func notSigner() async throws {
        let uploader = try self.consortium.user("nso-south", name: "bob", roles: [.uploader])
        var jws = try self.signed(by: ["nso-north"])
        try jws.sign(as: uploader, member: try MemberID("nso-south"))
        let report = await self.verify(jws)
        #expect(report.signatures[1].problem?.code == .signerNotAuthorised)
        #expect(report.signatures[1].problem?.message.contains("signer") == true)
    }

    @Test("two signatures from one member")
    func twoFromOneMember() async throws {
        let second = try self.consortium.user("cp-a", name: "another-signer", roles: [.signer])
        var jws = try self.signed()
        try jws.sign(as: second, member: try MemberID("cp-a"))
        let report = await self.verify(jws)
        #expect(report.signatures.last?.problem?.code == .duplicateSigner)
        #expect(report.isComplete)
    }

    @Test("alg none and alg HS256", arguments: ["none", "HS256"])
    func wrongAlgorithm(_ alg: String) async throws {
        let jws = try self.edited(try self.signed()) { object in
            var entries = try self.signatureEntries(object)
            var header = try need(
                try StrictJSONReader().parse(try need(Base64URL.decode(try need(entries[1]["protected"]?.stringValue))))
                    .objectValue)
            header["alg"] = .string(alg)
            entries[1]["protected"] = .string(Base64URL.encode(JSONWriter.write(.object(header))))
            if alg == "none" { entries[1]["signature"] = "" }
            object["signatures"] = .array(entries.map { .object($0) })
        }
        let report = await self.verify(jws)
        #expect(report.signatures[1].problem?.code == .unsupportedAlgorithm)
        #expect(report.signatures[1].problem?.message.contains("\"\(alg)\"") == true)
        #expect(report.signatures.enumerated().allSatisfy { $0.offset == 1 || $0.element.isValid })
    }

    @Test("a signature moved here from another CTS")
    func swappedPayload() async throws {
        let other = try self.signed(Array(TestSpecifications.householdIncome(minGroupSize: 7).utf8))
        let otherEntries = try self.signatureEntries(
            try need(try StrictJSONReader().parse(other.serialized()).objectValue))
        let jws = try self.edited(try self.signed()) { object in
            var entries = try self.signatureEntries(object)
            entries[4] = otherEntries[4]
            object["signatures"] = .array(entries.map { .object($0) })
        }
        let report = await self.verify(jws)
        #expect(report.documentProblem == nil)
        #expect(report.signatures[4].problem?.code == .signatureForOtherDocument)
        #expect(report.signatures.enumerated().allSatisfy { $0.offset == 4 || $0.element.isValid })
    }

    @Test(
        "validly signed payloads that a strict reader must refuse",
        arguments: [
            (
                "duplicate key", "\"id\": \"hh-income-test\",", "\"id\": \"hh-income-test\", \"id\": \"other\",",
                SpecError.Code.duplicateKey
            ),
            (
                "trailing comma", "\"cp-c\", \"nso-north\", \"nso-south\"]", "\"cp-c\", \"nso-north\", \"nso-south\",]",
                .malformedJSON
            ),
            (
                "unknown field", "\"id\": \"hh-income-test\",", "\"id\": \"hh-income-test\", \"owner\": \"me\",",
                .invalidDocument
            ),
            ("number beyond 2^53", "\"maxRows\": 1000000,", "\"maxRows\": 9007199254740993,", .numberOutOfRange),
        ])
    func strictPayload(_ name: String, _ find: String, _ replace: String, _ code: SpecError.Code) async throws {
        let text = TestSpecifications.householdIncome()
        #expect(text.contains(find))
        let jws = try self.signed(Array(text.replacingOccurrences(of: find, with: replace).utf8))
        let report = await self.verify(jws)
        #expect(report.signatures.allSatisfy { $0.isValid }, "signatures over the exact bytes are valid")
        #expect(report.documentProblem?.code == code, "\(name): \(String(describing: report.documentProblem))")
        #expect(report.specification == nil)
        if name == "unknown field" {
            #expect(
                report.documentProblem?.diagnostics.contains {
                    $0.pointer == "/owner" && $0.message.contains("unknown field")
                } == true)
        }
    }
}

struct Missing: Error {}

/// Unwraps in helpers and closures, where `#require` cannot nest.
func need<T>(_ value: T?) throws -> T {
    guard let value else { throw Missing() }
    return value
}
