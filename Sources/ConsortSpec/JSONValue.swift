/// A JSON value as read by `StrictJSONReader`: objects keep their member order, numbers keep their literal text so
/// decimals are read exactly.
package enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    package var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    package subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    package var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    package var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    package var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }
}

/// A JSON object with member order preserved and unique keys (the strict reader rejects duplicates).
package struct JSONObject: Hashable, Sendable, ExpressibleByDictionaryLiteral {
    package private(set) var members: [(key: String, value: JSONValue)] = []
    private var index: [String: Int] = [:]

    package init() {}

    package init(_ members: [(String, JSONValue)]) {
        for (key, value) in members { self[key] = value }
    }

    package init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    package var keys: [String] { self.members.map(\.key) }

    package subscript(key: String) -> JSONValue? {
        get { self.index[key].map { self.members[$0].value } }
        set {
            if let position = self.index[key] {
                if let newValue {
                    self.members[position].value = newValue
                } else {
                    self.members.remove(at: position)
                    self.index = Dictionary(uniqueKeysWithValues: self.members.enumerated().map { ($1.key, $0) })
                }
            } else if let newValue {
                self.index[key] = self.members.count
                self.members.append((key, newValue))
            }
        }
    }

    /// Adds a member; returns false if the key is already present.
    mutating func insert(_ key: String, _ value: JSONValue) -> Bool {
        guard self.index[key] == nil else { return false }
        self.index[key] = self.members.count
        self.members.append((key, value))
        return true
    }

    package static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    package func hash(into hasher: inout Hasher) {
        for member in self.members {
            hasher.combine(member.key)
            hasher.combine(member.value)
        }
    }
}

/// A JSON number: its literal text and its value as a finite Double; `integer` is set for integer literals, which are
/// always within ±(2^53−1).
package struct JSONNumber: Hashable, Sendable, CustomStringConvertible {
    package var text: String
    package var double: Double
    package var integer: Int64?

    package init(text: String, double: Double, integer: Int64?) {
        self.text = text
        self.double = double
        self.integer = integer
    }

    package init(_ integer: Int64) {
        self.text = String(integer)
        self.double = Double(integer)
        self.integer = integer
    }

    package var description: String { self.text }
}
