import Crypto
import Foundation
import SwiftASN1
import X509

/// An X.509 v2 certificate revocation list (RFC 5280 §5), as issued by the operator for member CAs and by each member
/// CA for its leaves.
///
/// Parsing keeps the exact `tbsCertList` bytes so the signature is checked over what was received.
package struct CertificateRevocationList: Sendable {
    /// One revoked certificate.
    package struct Entry: Hashable, Sendable {
        package var serialNumber: Certificate.SerialNumber
        package var revocationDate: Date
        package var reason: RevocationReason?
        /// Critical entry extensions this implementation does not understand (their presence invalidates the CRL).
        var unknownCriticalExtensions: [ASN1ObjectIdentifier] = []

        package init(serialNumber: Certificate.SerialNumber, revocationDate: Date, reason: RevocationReason?) {
            self.serialNumber = serialNumber
            self.revocationDate = revocationDate
            self.reason = reason
        }
    }

    package var version: Int
    package var issuer: DistinguishedName
    package var thisUpdate: Date
    package var nextUpdate: Date?
    package var entries: [Entry]
    package var extensions: [Certificate.Extension]
    let innerAlgorithm: SignatureAlgorithmIdentifier
    let outerAlgorithm: SignatureAlgorithmIdentifier
    package let tbsBytes: ArraySlice<UInt8>
    let signatureBytes: ASN1BitString
    /// The whole DER encoding.
    package let derBytes: [UInt8]

    static let crlNumberOID: ASN1ObjectIdentifier = [2, 5, 29, 20]
    static let reasonCodeOID: ASN1ObjectIdentifier = [2, 5, 29, 21]

    /// The CRL number (RFC 5280 §5.2.3), as big-endian bytes, if present.
    package var crlNumber: ArraySlice<UInt8>? {
        guard let ext = self.extensions.first(where: { $0.oid == Self.crlNumberOID }) else { return nil }
        return try? ArraySlice<UInt8>(derEncoded: ext.value)
    }

    /// The key identifier of the authority key identifier extension, if present.
    package var authorityKeyIdentifier: ArraySlice<UInt8>? {
        guard let ext = self.extensions.first(where: { $0.oid == .X509ExtensionID.authorityKeyIdentifier }) else {
            return nil
        }
        return try? AuthorityKeyIdentifier(ext).keyIdentifier
    }

    package func entry(for serial: Certificate.SerialNumber) -> Entry? {
        self.entries.first { $0.serialNumber == serial }
    }

    // MARK: Parsing

    package init(derEncoded bytes: [UInt8]) throws {
        do {
            let root = try DER.parse(bytes)
            var fields: (ArraySlice<UInt8>, SignatureAlgorithmIdentifier, ASN1BitString, ASN1Node)? = nil
            try DER.sequence(root, identifier: .sequence) { nodes in
                guard let tbsNode = nodes.next() else {
                    throw PKIError(.malformedInput, "CRL has no tbsCertList")
                }
                let outer = try SignatureAlgorithmIdentifier(derEncoded: &nodes)
                let signature = try ASN1BitString(derEncoded: &nodes)
                fields = (tbsNode.encodedBytes, outer, signature, tbsNode)
            }
            guard let (tbsBytes, outer, signature, tbsNode) = fields else {
                throw PKIError(.malformedInput, "CRL is empty")
            }
            self.tbsBytes = tbsBytes
            self.outerAlgorithm = outer
            self.signatureBytes = signature
            self.derBytes = bytes

            var version = 1
            var inner: SignatureAlgorithmIdentifier! = nil
            var issuer: DistinguishedName! = nil
            var thisUpdate = Date.distantPast
            var nextUpdate: Date? = nil
            var entries: [Entry] = []
            var extensions: [Certificate.Extension] = []
            try DER.sequence(tbsNode, identifier: .sequence) { nodes in
                var next = nodes.next()
                if let node = next, node.identifier == .integer {
                    let value = try Int(derEncoded: node)
                    guard value == 1 else {
                        throw PKIError(.malformedInput, "CRL version \(value + 1) is not supported (expected v2)")
                    }
                    version = 2
                    next = nodes.next()
                }
                guard let algorithmNode = next else {
                    throw PKIError(.malformedInput, "CRL has no signature algorithm")
                }
                inner = try SignatureAlgorithmIdentifier(derEncoded: algorithmNode)
                guard let issuerNode = nodes.next() else { throw PKIError(.malformedInput, "CRL has no issuer") }
                issuer = try DistinguishedName(derEncoded: issuerNode)
                guard let thisUpdateNode = nodes.next() else {
                    throw PKIError(.malformedInput, "CRL has no thisUpdate")
                }
                thisUpdate = try ASN1Time.parse(thisUpdateNode)
                next = nodes.next()
                if let node = next, node.identifier == .utcTime || node.identifier == .generalizedTime {
                    nextUpdate = try ASN1Time.parse(node)
                    next = nodes.next()
                }
                if let node = next, node.identifier == .sequence {
                    entries = try Self.parseEntries(node)
                    next = nodes.next()
                }
                if let node = next, node.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                    extensions = try DER.explicitlyTagged(node, tagNumber: 0, tagClass: .contextSpecific) { inner in
                        try DER.sequence(of: Certificate.Extension.self, identifier: .sequence, rootNode: inner)
                    }
                    next = nodes.next()
                }
                if next != nil {
                    throw PKIError(.malformedInput, "unexpected trailing field in tbsCertList")
                }
            }
            self.version = version
            self.innerAlgorithm = inner
            self.issuer = issuer
            self.thisUpdate = thisUpdate
            self.nextUpdate = nextUpdate
            self.entries = entries
            self.extensions = extensions
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError(.malformedInput, "not a valid DER-encoded CRL: \(error)", underlying: error)
        }
    }

    package init(pemEncoded text: String) throws {
        let document: PEMDocument
        do {
            document = try PEMDocument(pemString: text)
        } catch {
            throw PKIError(.malformedInput, "not a PEM document: \(error)", underlying: error)
        }
        guard document.discriminator == "X509 CRL" else {
            throw PKIError(.malformedInput, "expected a PEM 'X509 CRL', found '\(document.discriminator)'")
        }
        try self.init(derEncoded: document.derBytes)
    }

    package static func read(_ path: String) throws -> CertificateRevocationList {
        let text = try PEMFiles.readText(path)
        do {
            return try CertificateRevocationList(pemEncoded: text)
        } catch let error as PKIError {
            throw PKIError(error.code, "'\(path)': \(error.message)", underlying: error.underlying)
        }
    }

    package var pemString: String {
        PEMDocument(type: "X509 CRL", derBytes: self.derBytes).pemString + "\n"
    }

    private static func parseEntries(_ node: ASN1Node) throws -> [Entry] {
        try DER.sequence(of: RawEntry.self, identifier: .sequence, rootNode: node).map(\.entry)
    }

    private struct RawEntry: DERParseable {
        var entry: Entry

        init(derEncoded node: ASN1Node) throws {
            self.entry = try DER.sequence(node, identifier: .sequence) { nodes in
                let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
                guard let dateNode = nodes.next() else {
                    throw PKIError(.malformedInput, "CRL entry has no revocation date")
                }
                var entry = Entry(
                    serialNumber: Certificate.SerialNumber(bytes: serial),
                    revocationDate: try ASN1Time.parse(dateNode),
                    reason: nil
                )
                if let extensionsNode = nodes.next() {
                    let extensions = try DER.sequence(
                        of: Certificate.Extension.self, identifier: .sequence, rootNode: extensionsNode
                    )
                    for ext in extensions {
                        if ext.oid == CertificateRevocationList.reasonCodeOID {
                            let code = try Int(derEncoded: try DER.parse(ext.value), withIdentifier: .enumerated)
                            entry.reason = RevocationReason(rawValue: code)
                        } else if ext.critical {
                            entry.unknownCriticalExtensions.append(ext.oid)
                        }
                    }
                }
                return entry
            }
        }
    }

    // MARK: Issuing

    /// Issues and signs a CRL with ECDSA P-256 / SHA-256.
    package static func issue(
        issuer: Certificate,
        key: P256.Signing.PrivateKey,
        entries: [Entry],
        crlNumber: UInt64,
        thisUpdate: Date,
        nextUpdate: Date
    ) throws -> CertificateRevocationList {
        var extensions: [Certificate.Extension] = []
        if let ski = try issuer.extensions.subjectKeyIdentifier?.keyIdentifier {
            extensions.append(try Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: ski), critical: false))
        }
        extensions.append(
            Certificate.Extension(
                oid: Self.crlNumberOID,
                critical: false,
                value: try DERBytes.of(crlNumber)[...]
            )
        )
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)  // v2
            try coder.serialize(SignatureAlgorithmIdentifier.ecdsaWithSHA256)
            try coder.serialize(issuer.subject)
            try ASN1Time.serialize(thisUpdate, into: &coder)
            try ASN1Time.serialize(nextUpdate, into: &coder)
            if !entries.isEmpty {
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    for entry in entries {
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(entry.serialNumber.bytes)
                            try ASN1Time.serialize(entry.revocationDate, into: &coder)
                            if let reason = entry.reason {
                                var valueCoder = DER.Serializer()
                                try reason.rawValue.serialize(into: &valueCoder, withIdentifier: .enumerated)
                                let value = valueCoder.serializedBytes
                                let ext = Certificate.Extension(
                                    oid: Self.reasonCodeOID, critical: false, value: value[...])
                                try coder.serializeSequenceOf([ext])
                            }
                        }
                    }
                }
            }
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                try coder.serializeSequenceOf(extensions)
            }
        }
        let tbs = coder.serializedBytes
        let signature = try key.signature(for: tbs)
        var outer = DER.Serializer()
        try outer.appendConstructedNode(identifier: .sequence) { coder in
            coder.serializeRawBytes(tbs)
            try coder.serialize(SignatureAlgorithmIdentifier.ecdsaWithSHA256)
            try coder.serialize(ASN1BitString(bytes: Array(signature.derRepresentation)[...]))
        }
        return try CertificateRevocationList(derEncoded: outer.serializedBytes)
    }

    // MARK: Checking

    /// Why this CRL cannot be used to decide the status of certificates issued by `issuer` at `time`, or nil if it can.
    ///
    /// Checks RFC 5280 §5 and §6.3.3: v2 with a non-critical CRL number, matching algorithms, no unknown critical
    /// extension, issued by `issuer` (name, key identifier, signature, and the cRLSign key usage if the issuer has a key
    /// usage extension), and current (thisUpdate ≤ time ≤ nextUpdate).
    package func problem(asIssuedBy issuer: Certificate, at time: Date) -> String? {
        guard self.issuer == issuer.subject else {
            return "the CRL is issued by \(self.issuer), not by \(issuer.subject)"
        }
        guard self.version == 2 else { return "the CRL of \(issuer.subject) is not a version 2 CRL" }
        guard self.innerAlgorithm == self.outerAlgorithm else {
            return
                "the CRL of \(issuer.subject) names different signature algorithms inside and outside its signed part"
        }
        var seen = Set<ASN1ObjectIdentifier>()
        for ext in self.extensions {
            guard seen.insert(ext.oid).inserted else {
                return "the CRL of \(issuer.subject) repeats extension \(ext.oid)"
            }
            let known: [ASN1ObjectIdentifier] = [Self.crlNumberOID, .X509ExtensionID.authorityKeyIdentifier]
            if ext.critical && !known.contains(ext.oid) {
                return "the CRL of \(issuer.subject) has an unsupported critical extension \(ext.oid)"
            }
        }
        guard let numberExtension = self.extensions.first(where: { $0.oid == Self.crlNumberOID }) else {
            return "the CRL of \(issuer.subject) has no CRL number (RFC 5280 §5.2.3 requires one)"
        }
        guard !numberExtension.critical else {
            return
                "the CRL number extension of the CRL of \(issuer.subject) is marked critical (RFC 5280 §5.2.3 forbids it)"
        }
        guard self.crlNumber != nil else { return "the CRL number of the CRL of \(issuer.subject) is malformed" }
        if let unknown = self.entries.first(where: { !$0.unknownCriticalExtensions.isEmpty }) {
            return
                "the CRL of \(issuer.subject) has an entry (\(unknown.serialNumber)) with an unsupported critical extension"
        }
        if let aki = self.authorityKeyIdentifier, let ski = try? issuer.extensions.subjectKeyIdentifier?.keyIdentifier,
            aki != ski
        {
            return "the CRL's authority key identifier does not match the key of \(issuer.subject)"
        }
        if let usage = try? issuer.extensions.keyUsage, !usage.cRLSign {
            return "\(issuer.subject) may not sign CRLs (its key usage lacks cRLSign)"
        }
        guard let algorithm = self.outerAlgorithm.certificateAlgorithm,
            issuer.publicKey.isValidSignature(
                self.signatureBytes.bytes, for: self.tbsBytes, signatureAlgorithm: algorithm)
        else {
            return "the signature on the CRL of \(issuer.subject) does not verify"
        }
        guard self.thisUpdate <= time else {
            return "the CRL of \(issuer.subject) is not valid until \(self.thisUpdate)"
        }
        guard let nextUpdate = self.nextUpdate else {
            return "the CRL of \(issuer.subject) has no nextUpdate, so it cannot be known to be current"
        }
        guard time <= nextUpdate else {
            return "the CRL of \(issuer.subject) expired at \(nextUpdate): fetch a fresh CRL ('consort pki crl')"
        }
        return nil
    }
}
