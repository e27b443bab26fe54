import ConsortAudit
import ConsortPKI
import ConsortSpec
import Crypto
import Foundation
import Testing

@Suite("Audit entries")
struct AuditEntryTests {
    let fixture = AuditFixture()

    @Test("the hand-written canonical encoding equals sorted-key compact JSON of the entry")
    func canonicalEncoding() throws {
        for index in 0..<20 {
            var draft = try fixture.draft(index)
            if index == 3 { draft.taskID = nil }
            if index == 4 { draft.actor.subject = "quote \" backslash \\ newline \n tab \t é" }
            let entry = try AuditEntry.seal(
                draft, seq: Int64(index + 1), previousHash: AuditEntry.genesisHash, node: fixture.node, key: fixture.key
            )
            let generic = JSONWriter.write(
                .object(
                    JSONObject([
                        ("v", .number(JSONNumber(1))), ("seq", .number(JSONNumber(entry.seq))),
                        ("time", .string(entry.time)),
                        ("node", .string(entry.node.rawValue)),
                        (
                            "actor",
                            .object(
                                JSONObject([
                                    ("fingerprint", .string(entry.actor.fingerprint)),
                                    ("subject", .string(entry.actor.subject)),
                                ]))
                        ),
                        ("action", .string(entry.action.rawValue)), ("task", entry.taskID.map { .string($0) } ?? .null),
                        ("details", .string(entry.details)), ("prev", .string(Hex.encode(entry.previousHash))),
                    ])), sortedKeys: true)
            #expect(entry.canonicalBytes == generic)
            #expect(entry.entryHash == Array(SHA256.hash(data: generic)))
            #expect(try StrictJSONReader().parse(entry.canonicalBytes).objectValue?.keys.count == 9)
        }
    }

    @Test("details hold no fractional numbers, so their canonical form is unique")
    func detailsAreCanonical() throws {
        let details = JSONObject([("b", 2), ("a", .array(["x", true, .null]))])
        let draft = try AuditDraft(actor: fixture.actor, action: .dataPurged, details: details)
        #expect(draft.details == #"{"a":["x",true,null],"b":2}"#)
        #expect(throws: AuditError.self) {
            try AuditDraft(
                actor: fixture.actor, action: .dataPurged,
                details: JSONObject([("share", .number(JSONNumber(text: "0.5", double: 0.5, integer: nil)))]))
        }
    }

    @Test("audit times have microseconds and round-trip")
    func times() throws {
        let date = Date(timeIntervalSince1970: 1_795_000_000.123456)
        let text = AuditTime.format(date)
        #expect(text == "2026-11-18T11:06:40.123456Z")
        #expect(AuditTime.isValid(text))
        #expect(abs(try #require(AuditTime.date(text)).timeIntervalSince(date)) < 0.000_002)
        #expect(!AuditTime.isValid("2026-11-18T11:06:40Z"))
        // The right shape with a field out of range: no instant.
        #expect(
            AuditTime.isValid("2026-02-30T11:06:40.000000Z") && AuditTime.date("2026-02-30T11:06:40.000000Z") == nil)
        #expect(AuditTime.date("2026-11-18T24:00:00.000000Z") == nil)
    }

    @Test("store addresses")
    func addresses() throws {
        #expect(try AuditStores.Address("sqlite:data/audit.db") == .sqlite(path: "data/audit.db"))
        #expect(try AuditStores.Address("/var/lib/consort/audit.db") == .sqlite(path: "/var/lib/consort/audit.db"))
        #expect(
            try AuditStores.Address("postgres://consort@db.example:5433/audit")
                == .postgres(url: "postgres://consort@db.example:5433/audit"))
        for bad in ["", "sqlite:", "mysql://x@y/z", "postgres://db.example/audit", "postgres://consort@db.example"] {
            #expect(throws: AuditError(.invalidAddress, ""), "\(bad)") { try AuditStores.Address(bad) }
        }
        #expect(try PostgresAddress("postgres://u:secret@h:1/d").redacted == "postgres://u@h:1/d")
    }
}
