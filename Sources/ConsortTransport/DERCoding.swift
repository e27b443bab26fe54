import SwiftASN1
import X509

/// DER of certificates (swift-asn1 keeps its serialisation helper internal).
enum DERCoding {
    static func bytes(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}
