import ConsortPKI
import ConsortSpec
import ConsortTesting
import Foundation
import Testing

@Suite("Member directory")
struct MemberDirectoryTests {
    func membersJSON(
        _ consortium: TestConsortium, _ entries: [(String, [String], String?)], caOf: ((String) throws -> String)? = nil
    ) throws -> [UInt8] {
        let items = try entries.map { id, roles, endpoint -> String in
            let pem = try caOf?(id) ?? PEMFiles.pem([try consortium.member(id).authority.certificate])
            let escaped = pem.replacingOccurrences(of: "\n", with: "\\n")
            return
                #"{"id": "\#(id)", "name": "Org \#(id)", "roles": [\#(roles.map { "\"\($0)\"" }.joined(separator: ", "))], "ca": "\#(escaped)""#
                + (endpoint.map { #", "endpoint": "\#($0)""# } ?? "") + "}"
        }
        return Array(#"{"members": [\#(items.joined(separator: ", "))]}"#.utf8)
    }

    func consortium() throws -> TestConsortium {
        var consortium = try TestConsortium()
        try consortium.admit("cp-a", roles: [.compute])
        try consortium.admit("nso-north", roles: [.input, .output])
        return consortium
    }

    @Test("signed by the operator, verified under its root, every member CA checked")
    func roundTrip() throws {
        let consortium = try self.consortium()
        let members = try self.membersJSON(
            consortium, [("cp-a", ["compute"], "https://127.0.0.1:7443"), ("nso-north", ["input"], nil)])
        let directory = try MemberDirectory.readMembers(members, baseDirectory: "/", root: consortium.root.certificate)
        let signed = try directory.signed(by: consortium.root.certificate, key: consortium.root.privateKey)
        let verified = try MemberDirectory.verify(signed, root: consortium.root.certificate)
        #expect(verified.members.map(\.id.rawValue) == ["cp-a", "nso-north"])
        #expect(verified.member(try MemberID("cp-a"))?.endpoint?.absoluteString == "https://127.0.0.1:7443")
        #expect(verified.member(try MemberID("nso-north"))?.roles == [.input])
        #expect(
            verified.member(try MemberID("cp-a"))?.mpcAddress.map { "\($0.host):\($0.port)" } == "127.0.0.1:7444",
            "default: the API port + 1")
    }

    @Test("a computing party's MPC port, when the directory gives one; refused without an endpoint or out of range")
    func mpcPort() throws {
        let consortium = try self.consortium()
        func members(_ extra: String) throws -> [UInt8] {
            let text = String(
                decoding: try self.membersJSON(consortium, [("cp-a", ["compute"], "https://127.0.0.1:7443")]),
                as: UTF8.self)
            return Array(
                text.replacingOccurrences(
                    of: #""endpoint": "https://127.0.0.1:7443""#, with: #""endpoint": "https://127.0.0.1:7443""# + extra
                ).utf8)
        }
        let directory = try MemberDirectory.readMembers(
            try members(#", "mpcPort": 9000"#), baseDirectory: "/", root: consortium.root.certificate)
        let verified = try MemberDirectory.verify(
            try directory.signed(by: consortium.root.certificate, key: consortium.root.privateKey),
            root: consortium.root.certificate)
        #expect(verified.member(try MemberID("cp-a"))?.mpcAddress.map { "\($0.host):\($0.port)" } == "127.0.0.1:9000")
        for bad in [#", "mpcPort": 0"#, #", "mpcPort": 70000"#, #", "mpcPort": "9000""#, #", "mpcPort": 7443"#] {
            #expect(throws: SpecError.self, "\(bad)") {
                try MemberDirectory.readMembers(try members(bad), baseDirectory: "/", root: consortium.root.certificate)
            }
        }
        let noEndpoint = Array(
            String(decoding: try self.membersJSON(consortium, [("cp-a", ["compute"], nil)]), as: UTF8.self)
                .replacingOccurrences(of: #"}]}"#, with: #", "mpcPort": 9000}]}"#).utf8)
        #expect(throws: SpecError.self) {
            try MemberDirectory.readMembers(noEndpoint, baseDirectory: "/", root: consortium.root.certificate)
        }
    }

    @Test("an altered directory, another consortium's root, and bad member entries are refused")
    func refusals() throws {
        let consortium = try self.consortium()
        let members = try self.membersJSON(consortium, [("cp-a", ["compute"], nil)])
        let signed = try MemberDirectory.readMembers(members, baseDirectory: "/", root: consortium.root.certificate)
            .signed(by: consortium.root.certificate, key: consortium.root.privateKey)

        // Another root: the signature does not verify.
        let other = try TestConsortium(name: "Other Operator")
        #expect(throws: SpecError.self) { try MemberDirectory.verify(signed, root: other.root.certificate) }

        // The payload re-encoded with an added member: the signature no longer covers it.
        var jws = try MultiSignatureJWS(parsing: signed)
        let text = String(decoding: jws.payload, as: UTF8.self).replacingOccurrences(
            of: #""roles":["compute"]"#, with: #""roles":["compute","output"]"#)
        #expect(text != String(decoding: jws.payload, as: UTF8.self))
        jws.payload = Array(text.utf8)
        let tampered = String(decoding: signed, as: UTF8.self).replacingOccurrences(
            of: Base64URL.encode(try MultiSignatureJWS(parsing: signed).payload), with: Base64URL.encode(jws.payload))
        do {
            _ = try MemberDirectory.verify(Array(tampered.utf8), root: consortium.root.certificate)
            Issue.record("a tampered directory verified")
        } catch let error as SpecError {
            #expect(error.code == .badSignature, "\(error)")
        }

        // Roles beyond the admission, a CA of another consortium, a member twice, a non-https endpoint.
        #expect(throws: SpecError.self) {
            try MemberDirectory.readMembers(
                try self.membersJSON(consortium, [("cp-a", ["compute", "output"], nil)]), baseDirectory: "/",
                root: consortium.root.certificate)
        }
        var foreign = try TestConsortium(name: "Foreign")
        try foreign.admit("cp-a", roles: [.compute])
        #expect(throws: SpecError.self) {
            try MemberDirectory.readMembers(
                try self.membersJSON(consortium, [("cp-a", ["compute"], nil)]) { _ in
                    try PEMFiles.pem([try foreign.member("cp-a").authority.certificate])
                },
                baseDirectory: "/", root: consortium.root.certificate)
        }
        #expect(throws: SpecError.self) {
            try MemberDirectory.readMembers(
                try self.membersJSON(consortium, [("cp-a", ["compute"], nil), ("cp-a", ["compute"], nil)]),
                baseDirectory: "/", root: consortium.root.certificate)
        }
        #expect(throws: SpecError.self) {
            try MemberDirectory.readMembers(
                try self.membersJSON(consortium, [("cp-a", ["compute"], "http://127.0.0.1:7443")]), baseDirectory: "/",
                root: consortium.root.certificate)
        }
        // A member CA presented under another member's id.
        #expect(throws: SpecError.self) {
            try MemberDirectory.readMembers(
                try self.membersJSON(consortium, [("nso-north", ["input"], nil)]) { _ in
                    try PEMFiles.pem([try consortium.member("cp-a").authority.certificate])
                },
                baseDirectory: "/", root: consortium.root.certificate)
        }
    }
}
