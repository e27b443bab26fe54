import SwiftASN1
import Testing
import X509

@testable import ConsortPKI

/// The matching rules of `NameConstraintsPolicy` (RFC 5280 §4.2.1.10) one form at a time; x509-limbo covers whole
/// chains.
@Suite("Name constraints")
struct NameConstraintsTests {
    static func allowed(_ name: GeneralName, permitted: [GeneralName] = [], excluded: [GeneralName] = []) -> Bool {
        let constraints = NameConstraints(permittedSubtrees: permitted, excludedSubtrees: excluded)
        return NameConstraintsPolicy.problem(with: name, under: constraints) == nil
    }

    @Test("dNSName: a host binds itself and its subdomains, a leading period only subdomains, without case")
    func dns() {
        #expect(Self.allowed(.dnsName("example.com"), permitted: [.dnsName("example.com")]))
        #expect(Self.allowed(.dnsName("a.B.Example.com"), permitted: [.dnsName("example.COM")]))
        #expect(!Self.allowed(.dnsName("badexample.com"), permitted: [.dnsName("example.com")]))
        #expect(!Self.allowed(.dnsName("example.com"), permitted: [.dnsName(".example.com")]))
        #expect(Self.allowed(.dnsName("a.example.com"), permitted: [.dnsName(".example.com")]))
        #expect(!Self.allowed(.dnsName("a.example.com"), excluded: [.dnsName("example.com")]))
        // Names of other forms are not bound by a dNSName subtree.
        #expect(Self.allowed(.uniformResourceIdentifier("https://other.org/"), permitted: [.dnsName("example.com")]))
    }

    @Test("a wildcard is permitted only if every name it stands for is, and excluded if any is")
    func wildcards() {
        #expect(Self.allowed(.dnsName("*.example.com"), permitted: [.dnsName("example.com")]))
        #expect(Self.allowed(.dnsName("*.example.com"), permitted: [.dnsName(".example.com")]))
        #expect(!Self.allowed(.dnsName("*.example.com"), permitted: [.dnsName("a.example.com")]))
        #expect(!Self.allowed(.dnsName("*.example.com"), excluded: [.dnsName("bar.example.com")]))
        #expect(Self.allowed(.dnsName("*.example.com"), excluded: [.dnsName("a.bar.example.com")]))
    }

    @Test("URI: the host exactly, or a domain with a leading period; no host or an IP host is outside")
    func uri() {
        let member: [GeneralName] = [.uniformResourceIdentifier("nso-north")]
        #expect(Self.allowed(.uniformResourceIdentifier("consort://nso-north/node/cp1"), permitted: member))
        #expect(!Self.allowed(.uniformResourceIdentifier("consort://nso-northx/node/cp1"), permitted: member))
        #expect(!Self.allowed(.uniformResourceIdentifier("consort://x.nso-north/node/cp1"), permitted: member))
        #expect(!Self.allowed(.uniformResourceIdentifier("urn:consort:nso-north"), permitted: member))
        #expect(
            !Self.allowed(
                .uniformResourceIdentifier("https://10.0.0.1/"), permitted: [.uniformResourceIdentifier(".0.1")]))
        #expect(
            Self.allowed(
                .uniformResourceIdentifier("https://a.example.com/x"),
                permitted: [.uniformResourceIdentifier(".example.com")]))
        #expect(
            !Self.allowed(
                .uniformResourceIdentifier("consort://nso-south/x"), excluded: [.uniformResourceIdentifier("nso-south")]
            ))
    }

    @Test("rfc822Name: a mailbox exactly, a host's mailboxes, or a domain's; local parts with case")
    func email() {
        #expect(Self.allowed(.rfc822Name("ann@example.com"), permitted: [.rfc822Name("ann@EXAMPLE.com")]))
        #expect(!Self.allowed(.rfc822Name("Ann@example.com"), permitted: [.rfc822Name("ann@example.com")]))
        #expect(Self.allowed(.rfc822Name("bob@example.com"), permitted: [.rfc822Name("example.com")]))
        #expect(!Self.allowed(.rfc822Name("bob@a.example.com"), permitted: [.rfc822Name("example.com")]))
        #expect(Self.allowed(.rfc822Name("bob@a.example.com"), permitted: [.rfc822Name(".example.com")]))
        #expect(!Self.allowed(.rfc822Name("*@example.com"), excluded: [.rfc822Name("example.com")]))
        #expect(!Self.allowed(.rfc822Name("not-a-mailbox"), permitted: [.rfc822Name("example.com")]))
    }

    @Test("directoryName: the constraint's RDNs begin the name, string values compared without case or extra spaces")
    func directoryName() throws {
        let constraint = try DistinguishedName {
            CountryName("EU"); OrganizationName("Consort")
        }
        let inside = try DistinguishedName {
            CountryName("EU"); OrganizationName("consort "); CommonName("cp1")
        }
        let outside = try DistinguishedName {
            CountryName("EU"); OrganizationName("Other"); CommonName("cp1")
        }
        let shorter = try DistinguishedName { CountryName("EU") }
        #expect(Self.allowed(.directoryName(inside), permitted: [.directoryName(constraint)]))
        #expect(!Self.allowed(.directoryName(outside), permitted: [.directoryName(constraint)]))
        #expect(!Self.allowed(.directoryName(shorter), permitted: [.directoryName(constraint)]))
        #expect(!Self.allowed(.directoryName(inside), excluded: [.directoryName(constraint)]))
    }

    @Test("iPAddress: address and CIDR mask of the same family; a mask that is no prefix matches nothing")
    func ipAddress() {
        func ip(_ bytes: [UInt8]) -> GeneralName { .ipAddress(ASN1OctetString(contentBytes: bytes[...])) }
        let net10 = ip([10, 0, 0, 0, 255, 0, 0, 0])
        #expect(Self.allowed(ip([10, 1, 2, 3]), permitted: [net10]))
        #expect(!Self.allowed(ip([11, 1, 2, 3]), permitted: [net10]))
        #expect(!Self.allowed(ip([10, 1, 2, 3]), permitted: [ip([10, 0, 0, 0, 255, 0, 255, 0])]))
        #expect(!Self.allowed(ip([UInt8](repeating: 0, count: 16)), permitted: [net10]))
    }

    @Test("forms this verifier cannot compare fail closed, but only for certificates that have a name of the form")
    func otherForms() {
        let otherName = GeneralName.registeredID([1, 2, 3])
        #expect(!Self.allowed(otherName, excluded: [.registeredID([1, 2, 4])]))
        #expect(!Self.allowed(otherName, permitted: [.registeredID([1, 2, 3])]))
        #expect(Self.allowed(.dnsName("example.com"), excluded: [.registeredID([1, 2, 4])]))
    }
}
