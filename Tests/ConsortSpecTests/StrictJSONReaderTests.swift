import ConsortSpec
import ConsortTesting
import Foundation
import Testing

@Suite("Strict JSON reader")
struct StrictJSONReaderTests {
    static func suiteFiles() throws -> [URL] {
        let directory = try TestData.directory().appendingPathComponent("jsontestsuite/test_parsing")
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Our decisions on JSONTestSuite's implementation-defined (`i_`) cases: true = accepted.
    static let implementationDefined: [String: Bool] = [
        "i_number_double_huge_neg_exp.json": false,  // underflows to zero
        "i_number_huge_exp.json": false,  // not finite
        "i_number_neg_int_huge_exp.json": false,  // not finite
        "i_number_pos_double_huge_exp.json": false,  // not finite
        "i_number_real_neg_overflow.json": false,  // not finite
        "i_number_real_pos_overflow.json": false,  // not finite
        "i_number_real_underflow.json": false,  // underflows to zero
        "i_number_too_big_neg_int.json": false,  // integer beyond 2^53
        "i_number_too_big_pos_int.json": false,  // integer beyond 2^53
        "i_number_very_big_negative_int.json": false,  // integer beyond 2^53
        "i_object_key_lone_2nd_surrogate.json": false,  // lone surrogate
        "i_string_1st_surrogate_but_2nd_missing.json": false,
        "i_string_1st_valid_surrogate_2nd_invalid.json": false,
        "i_string_UTF-16LE_with_BOM.json": false,  // not UTF-8
        "i_string_UTF-8_invalid_sequence.json": false,
        "i_string_UTF8_surrogate_U+D800.json": false,  // surrogate encoded in UTF-8
        "i_string_incomplete_surrogate_and_escape_valid.json": false,
        "i_string_incomplete_surrogate_pair.json": false,
        "i_string_incomplete_surrogates_escape_valid.json": false,
        "i_string_invalid_lonely_surrogate.json": false,
        "i_string_invalid_surrogate.json": false,
        "i_string_invalid_utf-8.json": false,
        "i_string_inverted_surrogates_U+1D11E.json": false,
        "i_string_iso_latin_1.json": false,
        "i_string_lone_second_surrogate.json": false,
        "i_string_lone_utf8_continuation_byte.json": false,
        "i_string_not_in_unicode_range.json": false,
        "i_string_overlong_sequence_2_bytes.json": false,
        "i_string_overlong_sequence_6_bytes.json": false,
        "i_string_overlong_sequence_6_bytes_null.json": false,
        "i_string_truncated-utf-8.json": false,
        "i_string_utf16BE_no_BOM.json": false,
        "i_string_utf16LE_no_BOM.json": false,
        "i_structure_500_nested_arrays.json": false,  // deeper than 64
        "i_structure_UTF-8_BOM_empty_object.json": false,  // byte-order mark
    ]

    /// RFC 8259 only says member names SHOULD be unique, so JSONTestSuite counts these as valid JSON; a signed document
    /// with a duplicate key means different things to different parsers, so the strict reader rejects them by design.
    static let rejectedByDesign: Set<String> = [
        "y_object_duplicated_key.json", "y_object_duplicated_key_and_value.json",
    ]

    @Test("JSONTestSuite: every y_ accepted (but duplicate keys), every n_ rejected, i_ as decided")
    func jsonTestSuite() throws {
        let reader = StrictJSONReader()
        var counts = (yes: 0, no: 0, implementation: 0)
        for file in try Self.suiteFiles() {
            let name = file.lastPathComponent
            let bytes = try Data(contentsOf: file)
            let accepted = (try? reader.parse(bytes)) != nil
            switch name.prefix(2) {
            case "y_" where Self.rejectedByDesign.contains(name):
                #expect(throws: SpecError(.duplicateKey, ""), "\(name) must be rejected as a duplicate key") {
                    try reader.parse(bytes)
                }
                counts.yes += 1
            case "y_":
                #expect(accepted, "\(name) must be accepted")
                counts.yes += 1
            case "n_":
                #expect(!accepted, "\(name) must be rejected")
                counts.no += 1
            case "i_":
                guard let decision = Self.implementationDefined[name] else {
                    Issue.record("no recorded decision for \(name)")
                    continue
                }
                #expect(accepted == decision, "\(name): decided \(decision ? "accept" : "reject")")
                counts.implementation += 1
            default:
                break
            }
        }
        #expect(counts.yes == 95 && counts.no == 188 && counts.implementation == Self.implementationDefined.count)
    }

    @Test(
        "errors name the problem and the byte offset",
        arguments: [
            ("{\"a\":1,\"a\":2}", "appears twice", 7),
            ("[1,2,]", "trailing comma", 5),
            ("{\"a\":1,}", "trailing comma", 7),
            ("[01]", "leading zeros", 1),
            ("[9007199254740992]", "outside", 1),
            ("[1e400]", "not finite", 1),
            ("[\"\\ud800\"]", "lone high surrogate", 2),
            ("\u{FEFF}[]", "byte-order mark", 0),
        ])
    func errors(_ document: String, _ fragment: String, _ offset: Int) throws {
        do {
            _ = try StrictJSONReader().parse(Array(document.utf8))
            Issue.record("accepted \(document)")
        } catch let error as SpecError {
            #expect(error.message.contains(fragment), "\(error.message)")
            #expect(error.message.contains("at byte \(offset):"), "\(error.message)")
        }
    }

    @Test("duplicate keys are found after unescaping")
    func escapedDuplicate() {
        #expect(throws: SpecError(.duplicateKey, "")) {
            try StrictJSONReader().parse(Array("{\"a\":1,\"\\u0061\":2}".utf8))
        }
    }

    @Test("limits on size and depth")
    func limits() {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: SpecError(.tooDeep, "")) { try StrictJSONReader().parse(Array(deep.utf8)) }
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try StrictJSONReader().parse(Array(ok.utf8)) }
        #expect(throws: SpecError(.tooLarge, "")) {
            try StrictJSONReader(maximumBytes: 10).parse(Array("[1,2,3,4,5,6]".utf8))
        }
    }

    @Test("numbers keep their literal text; integers are exact")
    func numbers() throws {
        let value = try StrictJSONReader().parse(Array("[10000000.00, -9007199254740991, 1E22]".utf8))
        let numbers = try #require(value.arrayValue).compactMap {
            if case .number(let n) = $0 { return n } else { return nil }
        }
        #expect(numbers.map(\.text) == ["10000000.00", "-9007199254740991", "1E22"])
        #expect(numbers[1].integer == -9_007_199_254_740_991)
        #expect(numbers[0].integer == nil)
    }
}
