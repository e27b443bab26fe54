import SwiftASN1

/// DER helpers that swift-asn1 keeps out of its public API.
enum DERBytes {
    static func of(_ element: some DERSerializable) throws -> [UInt8] {
        var coder = DER.Serializer()
        try coder.serialize(element)
        return coder.serializedBytes
    }
}
