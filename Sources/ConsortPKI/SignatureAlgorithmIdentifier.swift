import SwiftASN1
import X509

/// An `AlgorithmIdentifier` naming a signature algorithm (swift-certificates keeps its own type internal).
struct SignatureAlgorithmIdentifier: DERImplicitlyTaggable, Hashable {
    static var defaultIdentifier: ASN1Identifier { .sequence }

    var oid: ASN1ObjectIdentifier
    /// The DER of the parameters, if present.
    var parameters: [UInt8]?

    static let ecdsaWithSHA256 = SignatureAlgorithmIdentifier(oid: [1, 2, 840, 10045, 4, 3, 2], parameters: nil)

    init(oid: ASN1ObjectIdentifier, parameters: [UInt8]?) {
        self.oid = oid
        self.parameters = parameters
    }

    init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(node, identifier: identifier) { nodes in
            let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let parameters = nodes.next().map { Array($0.encodedBytes) }
            return SignatureAlgorithmIdentifier(oid: oid, parameters: parameters)
        }
    }

    func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(self.oid)
            if let parameters {
                coder.serializeRawBytes(parameters)
            }
        }
    }

    /// The swift-certificates algorithm, if it is one swift-certificates can verify.
    var certificateAlgorithm: Certificate.SignatureAlgorithm? {
        let null: [UInt8] = [0x05, 0x00]
        switch (self.oid.oidComponents, self.parameters) {
        case ([1, 2, 840, 10045, 4, 3, 2], nil): return .ecdsaWithSHA256
        case ([1, 2, 840, 10045, 4, 3, 3], nil): return .ecdsaWithSHA384
        case ([1, 2, 840, 10045, 4, 3, 4], nil): return .ecdsaWithSHA512
        case ([1, 2, 840, 113549, 1, 1, 11], null), ([1, 2, 840, 113549, 1, 1, 11], nil):
            return .sha256WithRSAEncryption
        case ([1, 2, 840, 113549, 1, 1, 12], null), ([1, 2, 840, 113549, 1, 1, 12], nil):
            return .sha384WithRSAEncryption
        case ([1, 2, 840, 113549, 1, 1, 13], null), ([1, 2, 840, 113549, 1, 1, 13], nil):
            return .sha512WithRSAEncryption
        case ([1, 3, 101, 112], nil): return .ed25519
        default: return nil
        }
    }
}
