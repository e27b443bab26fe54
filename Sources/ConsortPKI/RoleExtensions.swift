import SwiftASN1
import X509

/// The member roles extension of a member CA certificate (non-critical): `SEQUENCE SIZE (1..MAX) OF UTF8String`.
package struct MemberRolesExtension: Hashable, Sendable, CertificateExtensionConvertible {
    package var roles: Set<MemberRole>

    package init(_ roles: Set<MemberRole>) { self.roles = roles }

    package init(_ ext: Certificate.Extension) throws {
        guard ext.oid == ConsortOID.memberRoles else {
            throw PKIError(.malformedInput, "extension \(ext.oid) is not the Consort member roles extension")
        }
        let names = try RoleList(derEncoded: ext.value).names
        self.roles = Set(try names.map(MemberRole.init(parsing:)))
    }

    package func makeCertificateExtension() throws -> Certificate.Extension {
        let value = try DERBytes.of(RoleList(names: self.roles.sorted().map(\.rawValue)))
        return Certificate.Extension(oid: ConsortOID.memberRoles, critical: false, value: value[...])
    }
}

/// The internal roles extension of a user certificate (non-critical): `SEQUENCE SIZE (1..MAX) OF UTF8String`.
package struct InternalRolesExtension: Hashable, Sendable, CertificateExtensionConvertible {
    package var roles: Set<InternalRole>

    package init(_ roles: Set<InternalRole>) { self.roles = roles }

    package init(_ ext: Certificate.Extension) throws {
        guard ext.oid == ConsortOID.internalRoles else {
            throw PKIError(.malformedInput, "extension \(ext.oid) is not the Consort internal roles extension")
        }
        let names = try RoleList(derEncoded: ext.value).names
        self.roles = Set(try names.map(InternalRole.init(parsing:)))
    }

    package func makeCertificateExtension() throws -> Certificate.Extension {
        let value = try DERBytes.of(RoleList(names: self.roles.sorted().map(\.rawValue)))
        return Certificate.Extension(oid: ConsortOID.internalRoles, critical: false, value: value[...])
    }
}

/// DER form shared by both role extensions.
private struct RoleList: DERImplicitlyTaggable {
    static var defaultIdentifier: ASN1Identifier { .sequence }

    var names: [String]

    init(names: [String]) { self.names = names }

    init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        let strings: [ASN1UTF8String] = try DER.sequence(
            of: ASN1UTF8String.self, identifier: identifier, rootNode: node)
        self.names = strings.map { String($0) }
        guard !self.names.isEmpty else {
            throw PKIError(.malformedInput, "a Consort roles extension must list at least one role")
        }
    }

    func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.serializeSequenceOf(self.names.map { ASN1UTF8String($0) }, identifier: identifier)
    }
}
