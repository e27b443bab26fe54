import ConsortPKI
import ConsortSpec
import Foundation

/// The JSON Lines export of a log: one entry per line with every stored field (bytes in lowercase hex), so an auditor
/// can verify it without database access (`consort audit export`, `consort audit verify --file`).
package enum AuditExport {
    package static func line(_ entry: AuditEntry) -> String {
        JSONWriter.string(
            .object(
                JSONObject([
                    ("seq", .number(JSONNumber(entry.seq))),
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
                    ("action", .string(entry.unknownAction ?? entry.action.rawValue)),
                    ("task", entry.taskID.map { .string($0) } ?? .null),
                    ("details", .string(entry.details)),
                    ("prev", .string(Hex.encode(entry.previousHash))),
                    ("hash", .string(Hex.encode(entry.entryHash))),
                    ("signature", .string(Hex.encode(entry.signature))),
                ])))
    }

    package static func parse(line: Substring, number: Int) throws -> AuditEntry {
        func bad(_ what: String) -> AuditError { AuditError(.malformedEntry, "line \(number): \(what)") }
        let value: JSONValue
        do {
            value = try StrictJSONReader().parse(Array(line.utf8))
        } catch {
            throw bad("not a JSON entry: \(error)")
        }
        let reader = DocumentReader()
        guard
            let object = reader.object(
                value, at: "",
                required: ["seq", "time", "node", "actor", "action", "task", "details", "prev", "hash", "signature"]),
            let seq = reader.integer(object["seq"], at: "/seq", range: 1...StrictJSONReader.maximumSafeInteger),
            let time = reader.string(object["time"], at: "/time", length: 1...64),
            let node = reader.string(object["node"], at: "/node", length: 1...63).flatMap({ try? MemberID($0) }),
            let actor = reader.object(object["actor"], at: "/actor", required: ["fingerprint", "subject"]),
            let fingerprint = reader.string(actor["fingerprint"], at: "/actor/fingerprint", length: 1...128),
            let subject = reader.string(actor["subject"], at: "/actor/subject", length: 0...1024),
            let actionText = reader.string(object["action"], at: "/action", length: 1...64),
            let details = reader.string(object["details"], at: "/details", length: 0...1_000_000),
            let previous = reader.string(object["prev"], at: "/prev", length: 64...64).flatMap(Hex.decode),
            let hash = reader.string(object["hash"], at: "/hash", length: 64...64).flatMap(Hex.decode),
            let signature = reader.string(object["signature"], at: "/signature", length: 0...256).flatMap(Hex.decode)
        else {
            throw bad(reader.diagnostics.map(\.description).joined(separator: "; "))
        }
        let (action, unknownAction) = AuditEntry.action(actionText)
        let task: String?
        switch object["task"] {
        case .string(let text): task = text
        case .null: task = nil
        default: throw bad("task must be a string or null")
        }
        return AuditEntry(
            seq: seq, time: time, node: node, actor: AuditActor(fingerprint: fingerprint, subject: subject),
            action: action, taskID: task, details: details, previousHash: previous, entryHash: hash,
            signature: signature, unknownAction: unknownAction)
    }

    package static func write(_ entries: [AuditEntry], to path: String) throws {
        var text = ""
        text.reserveCapacity(entries.count * 600)
        for entry in entries {
            text += Self.line(entry)
            text += "\n"
        }
        try PEMFiles.write(text, to: path)
    }

    package static func read(_ path: String) throws -> [AuditEntry] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw AuditError(.fileAccess, "cannot read '\(path)': \(error.localizedDescription)", underlying: error)
        }
        var entries: [AuditEntry] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.isEmpty {
            entries.append(try Self.parse(line: line, number: index + 1))
        }
        return entries
    }
}
