import X509

/// Serial numbers for the certificates Consort issues: 159 random bits from the system CSPRNG, so the DER INTEGER is
/// positive and at most 20 octets (RFC 5280 §4.1.2.2). `Certificate.SerialNumber()` draws 160 bits, and half of those
/// values need a 21st sign octet in DER, which strict verifiers refuse.
enum SerialNumbers {
    static func random() -> Certificate.SerialNumber {
        var generator = SystemRandomNumberGenerator()
        while true {
            var bytes = (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes[0] &= 0x7F
            // Zero is not a valid serial (probability 2^-159, but the check costs nothing).
            if bytes.allSatisfy({ $0 == 0 }) { continue }
            // `bytes` is the unsigned magnitude; swift-certificates strips leading zeros and adds the sign octet.
            return Certificate.SerialNumber(bytes: bytes)
        }
    }

    /// The length of the serial's DER INTEGER content: the magnitude plus a sign octet when its top bit is set.
    static func encodedLength(_ serial: Certificate.SerialNumber) -> Int {
        serial.bytes.count + ((serial.bytes.first ?? 0) >= 0x80 ? 1 : 0)
    }
}
