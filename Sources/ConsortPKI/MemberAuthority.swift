import Crypto
import Foundation
import SwiftASN1
import X509

/// A member CA issuing its own leaf certificates: its node (`consort://<id>/node`) and its users
/// (`consort://<id>/user/<name>`). It refuses any name outside its namespace.
package struct MemberAuthority: Sendable {
    package let authority: CertificateAuthority
    package let memberID: MemberID
    package let organisation: String
    /// DNS domains the operator's name constraint allows, if it set any.
    package let permittedDNSDomains: [String]

    package init(_ authority: CertificateAuthority) throws {
        guard authority.kind == .member else {
            throw PKIError(.notAuthority, "leaf certificates are issued by a member CA, not by the operator root")
        }
        (self.memberID, self.organisation) = try CertificateProfile.memberIdentity(of: authority.certificate)
        self.authority = authority
        self.permittedDNSDomains =
            (try authority.certificate.extensions.nameConstraints).map { Array($0.permittedDNSDomains) } ?? []
    }

    /// Issues a node certificate (serverAuth + clientAuth) with a new key.
    package func issueNode(
        dnsNames: [String] = [],
        ipAddresses: [String] = [],
        days: Int = 365,
        now: Date = Date()
    ) throws -> SigningIdentity {
        let key = P256.Signing.PrivateKey()
        let certificate = try self.issue(
            .node(self.memberID), publicKey: key.publicKey, dnsNames: dnsNames, ipAddresses: ipAddresses,
            roles: [], days: days, now: now
        )
        return try SigningIdentity(privateKey: key, chain: [certificate, self.authority.certificate])
    }

    /// Issues a user certificate (clientAuth + digitalSignature) with its internal roles and a new key.
    package func issueUser(name: String, roles: Set<InternalRole>, days: Int = 365, now: Date = Date()) throws
        -> SigningIdentity
    {
        let key = P256.Signing.PrivateKey()
        let certificate = try self.issue(
            .user(self.memberID, name: name), publicKey: key.publicKey, dnsNames: [], ipAddresses: [], roles: roles,
            days: days, now: now
        )
        return try SigningIdentity(privateKey: key, chain: [certificate, self.authority.certificate])
    }

    /// Issues a leaf certificate for `identity`, which must be a node or user of this member.
    package func issue(
        _ identity: ConsortIdentity,
        publicKey: P256.Signing.PublicKey,
        dnsNames: [String],
        ipAddresses: [String],
        roles: Set<InternalRole>,
        days: Int,
        now: Date
    ) throws -> Certificate {
        guard identity.memberID == self.memberID else {
            throw PKIError(
                .outsideNamespace,
                "the member CA of '\(self.memberID)' may only issue names under consort://\(self.memberID)/, "
                    + "not \(identity.uri)"
            )
        }
        var names: [GeneralName] = [.uniformResourceIdentifier(identity.uri)]
        let extendedKeyUsage: ExtendedKeyUsage
        let commonName: String
        switch identity {
        case .member:
            throw PKIError(.outsideNamespace, "a member CA cannot issue another member CA certificate")
        case .node:
            guard roles.isEmpty else { throw PKIError(.invalidRole, "node certificates carry no internal role") }
            for dns in dnsNames {
                let lowered = dns.lowercased()
                guard ChainProfilePolicy.isValidDNSName(lowered, allowWildcard: false) else {
                    throw PKIError(.invalidName, "'\(dns)' is not a valid DNS name (wildcards are not allowed)")
                }
                if !self.permittedDNSDomains.isEmpty,
                    !self.permittedDNSDomains.contains(where: { lowered == $0 || lowered.hasSuffix("." + $0) })
                {
                    throw PKIError(
                        .outsideNamespace,
                        "'\(dns)' is outside the DNS domains this member may use (\(self.permittedDNSDomains.joined(separator: ", ")))"
                    )
                }
                names.append(.dnsName(lowered))
            }
            for address in ipAddresses {
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(try Self.ipBytes(address)))))
            }
            extendedKeyUsage = try ExtendedKeyUsage([.serverAuth, .clientAuth])
            commonName = "\(self.memberID) node"
        case .user(_, let name):
            guard dnsNames.isEmpty && ipAddresses.isEmpty else {
                throw PKIError(.invalidName, "user certificates carry no DNS names or IP addresses (use --kind node)")
            }
            guard !roles.isEmpty else {
                throw PKIError(
                    .invalidRole, "a user certificate needs an internal role: use --role signer|uploader|analyst|admin")
            }
            extendedKeyUsage = try ExtendedKeyUsage([.clientAuth])
            commonName = name
        }
        let subject = try DistinguishedName {
            OrganizationName(self.organisation)
            CommonName(commonName)
        }
        let (notBefore, notAfter) = try CertificateProfile.validity(
            days: days, now: now, issuer: self.authority.certificate)
        let sans = SubjectAlternativeNames(names)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true))
            extendedKeyUsage
            sans
            if !roles.isEmpty {
                InternalRolesExtension(roles)
            }
            CertificateProfile.subjectKeyIdentifier(publicKey)
            try CertificateProfile.authorityKeyIdentifier(of: self.authority.certificate)
        }
        return try Certificate(
            version: .v3,
            serialNumber: SerialNumbers.random(),
            publicKey: Certificate.PublicKey(publicKey),
            notValidBefore: notBefore,
            notValidAfter: notAfter,
            issuer: self.authority.certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: self.authority.issuerKey
        )
    }

    static func ipBytes(_ text: String) throws -> [UInt8] {
        var v4 = in_addr()
        if text.withCString({ inet_pton(AF_INET, $0, &v4) }) == 1 {
            return withUnsafeBytes(of: v4.s_addr) { Array($0) }
        }
        var v6 = in6_addr()
        if text.withCString({ inet_pton(AF_INET6, $0, &v6) }) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        throw PKIError(.invalidName, "'\(text)' is not an IPv4 or IPv6 address")
    }
}
