import SwiftASN1

/// Object identifiers of Consort's own certificate extensions (documented in `Policies/certificate-profiles.md`).
///
/// The arc is 1.3.6.1.4.1.32473.7377: 32473 is the enterprise number RFC 5612 reserves for documentation, used until
/// the consortium registers its own Private Enterprise Number. (A registration-free `2.25.<UUID>` arc would be ideal,
/// but SwiftASN1 parses OID arcs as 64-bit integers and rejects a UUID-sized arc, so no certificate carrying one could
/// be read back.)
package enum ConsortOID {
    /// Arc of all Consort OIDs.
    package static let arc: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 32473, 7377]
    /// Member roles granted by the operator, in a member CA certificate: `SEQUENCE OF UTF8String`.
    package static let memberRoles: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 32473, 7377, 1, 1]
    /// Internal roles given by a member to one of its users: `SEQUENCE OF UTF8String`.
    package static let internalRoles: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 32473, 7377, 1, 2]
}
