import Foundation

/// How the node API writes and reads JSON (`Specs/openapi.yaml`): compact, keys sorted (Foundation's encoder keeps
/// no declaration order, and answers must read the same every time), slashes as they are. Signed API documents
/// (upload receipts) are signed over exactly this form.
package enum APIJSON {
    package static func encode(_ value: some Encodable) throws -> [UInt8] {
        Array(try Self.encoder().encode(value))
    }

    package static func decode<T: Decodable>(_ type: T.Type, from bytes: some Sequence<UInt8>) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    /// The bytes a signature covers.
    package static func canonical(_ value: some Encodable) throws -> [UInt8] {
        try Self.encode(value)
    }

    /// A fresh encoder with the API's settings (an encoder is not shared between concurrent requests).
    package static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
