import ConsortPKI
import Crypto
import Foundation
import X509

/// A consortium PKI generated in code for tests: an operator root and admitted members, each able to issue its node
/// and user certificates. No private key is ever committed to the repository.
package struct TestConsortium: Sendable {
    package let root: CertificateAuthority
    package private(set) var members: [MemberID: MemberAuthority] = [:]
    package let now: Date

    package init(name: String = "Test Operator", now: Date = Date()) throws {
        let (certificate, key) = try OperatorAuthority.createRoot(name: name, now: now)
        self.root = try CertificateAuthority(kind: .operator, certificate: certificate, privateKey: key, directory: "")
        self.now = now
    }

    /// Admits a member with the given roles and returns its CA.
    @discardableResult
    package mutating func admit(
        _ id: String,
        roles: Set<MemberRole>,
        organisation: String? = nil,
        days: Int = 365,
        dnsDomain: String? = nil
    ) throws -> MemberAuthority {
        let memberID = try MemberID(id)
        let key = P256.Signing.PrivateKey()
        let request = try MemberRequest.create(member: memberID, organisation: organisation ?? "Org \(id)", key: key)
        let certificate = try OperatorAuthority.admit(
            request, by: self.root, roles: roles, days: days, dnsDomain: dnsDomain, now: self.now
        )
        let authority = try MemberAuthority(
            CertificateAuthority(kind: .member, certificate: certificate, privateKey: key, directory: "")
        )
        self.members[memberID] = authority
        return authority
    }

    package func member(_ id: String) throws -> MemberAuthority {
        guard let authority = self.members[try MemberID(id)] else {
            throw PKIError(.invalidMemberID, "test consortium has no member '\(id)'")
        }
        return authority
    }

    package func node(_ id: String, dns: [String] = [], ip: [String] = ["127.0.0.1"]) throws -> SigningIdentity {
        try self.member(id).issueNode(dnsNames: dns, ipAddresses: ip, now: self.now)
    }

    package func user(_ id: String, name: String, roles: Set<InternalRole>) throws -> SigningIdentity {
        try self.member(id).issueUser(name: name, roles: roles, now: self.now)
    }

    /// A CRL from `authority` (the root or a member CA) revoking `certificates`.
    package func crl(
        by authority: CertificateAuthority,
        revoking certificates: [Certificate] = [],
        days: Int = 7,
        thisUpdate: Date? = nil
    ) throws -> CertificateRevocationList {
        let issued = thisUpdate ?? self.now.addingTimeInterval(-60)
        return try CertificateRevocationList.issue(
            issuer: authority.certificate,
            key: authority.privateKey,
            entries: certificates.map {
                .init(serialNumber: $0.serialNumber, revocationDate: issued, reason: .keyCompromise)
            },
            crlNumber: 1,
            thisUpdate: issued,
            nextUpdate: issued.addingTimeInterval(TimeInterval(days) * 86_400)
        )
    }

    /// Current CRLs (revoking nothing) from the root and every member CA.
    package func emptyCRLs() throws -> [CertificateRevocationList] {
        try [self.crl(by: self.root)] + self.members.values.map { try self.crl(by: $0.authority) }
    }

    /// Writes a current CRL of the root and of every member CA into `directory`; returns their paths (what a node's
    /// configuration lists).
    package func writeCRLs(to directory: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var paths: [String] = []
        for (name, authority) in [("operator", self.root)] + self.members.map({ ($0.key.rawValue, $0.value.authority) })
        {
            let path = "\(directory)/\(name).crl"
            try PEMFiles.write(try self.crl(by: authority).pemString, to: path)
            paths.append(path)
        }
        return paths
    }

    /// A verifier that trusts this consortium's root.
    package func verifier(crls: [CertificateRevocationList] = [], requireCRLs: Bool = false) -> ConsortVerifier {
        ConsortVerifier(root: self.root.certificate, crls: crls, requireRevocationInformation: requireCRLs)
    }
}

extension TestConsortium {
    /// The members of the household-income example, admitted with their roles, and a `signer` user for each.
    package static func household(now: Date = Date()) throws -> (TestConsortium, [MemberID: SigningIdentity]) {
        var consortium = try TestConsortium(now: now)
        var signers: [MemberID: SigningIdentity] = [:]
        for (id, roles) in TestSpecifications.householdMembers {
            try consortium.admit(id, roles: Set(roles.compactMap(MemberRole.init(rawValue:))))
            signers[try MemberID(id)] = try consortium.user(id, name: "signer", roles: [.signer])
        }
        return (consortium, signers)
    }
}
