/// The identifier of a consortium member: a DNS label (`[a-z0-9-]{1,63}`, not starting or ending with `-`).
///
/// It is the host of every Consort identity URI the member holds (`consort://<id>/node`), so the URI name constraint on
/// the member CA confines what that CA can issue.
package struct MemberID: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    package let rawValue: String

    package init(_ rawValue: String) throws {
        guard Self.isValid(rawValue) else {
            throw PKIError(
                .invalidMemberID,
                "'\(rawValue.prefix(80))' is not a valid member id: use 1-63 lowercase letters, digits and '-', "
                    + "not starting or ending with '-' (for example 'nso-north')"
            )
        }
        self.rawValue = rawValue
    }

    package static func isValid(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else {
            return false
        }
        return bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") }
    }

    package var description: String { self.rawValue }

    package static func < (lhs: MemberID, rhs: MemberID) -> Bool { lhs.rawValue < rhs.rawValue }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(container.decode(String.self))
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.rawValue)
    }
}
