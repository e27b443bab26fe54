import Foundation
import SwiftASN1
import X509

/// Name constraints (RFC 5280 §4.2.1.10, applied as in §6.1.3 (b)–(c) and §6.1.4 (g)): the constraints of every CA in
/// the chain bind every certificate below it, except self-issued intermediates.
///
/// It replaces swift-certificates' name-constraints check, which refuses every chain under a directoryName or
/// rfc822Name constraint ("unable to validate") and also binds self-issued intermediates. All five name forms a
/// certificate can usefully carry are evaluated (dNSName, iPAddress, uniformResourceIdentifier, rfc822Name,
/// directoryName); a constraint of another form (otherName, x400Address, ediPartyName, registeredID) fails closed when
/// the certificate has a name of that form, and is ignored otherwise, as RFC 5280 restricts only names of the form.
///
/// Two hardenings: a work limit (names × constraints), so a pathological chain cannot make validation quadratic; and
/// wildcard DNS names are matched as the set of names they stand for (CVE-2025-61727): `*.example.com` is excluded by
/// `bar.example.com` and is permitted only when the whole of `example.com`'s subdomains is.
struct NameConstraintsPolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.nameConstraints]

    static let maximumWork = 1 << 16

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let certificates = Array(chain)
        var work = 0
        for issuerIndex in certificates.indices.dropFirst() {
            let issuer = certificates[issuerIndex]
            let constraints: NameConstraints
            do {
                guard let parsed = try issuer.extensions.nameConstraints else { continue }
                constraints = parsed
            } catch {
                return PolicyFailure.result(.malformedInput, "\(issuer.displayName) has malformed name constraints")
            }
            for subjectIndex in 0..<issuerIndex {
                let certificate = certificates[subjectIndex]
                // Self-issued intermediates are exempt (RFC 5280 §6.1.3 (b)): a CA may re-key under its own name.
                if subjectIndex != 0 && certificate.issuer == certificate.subject { continue }
                let names: [GeneralName]
                do {
                    names = try Self.names(of: certificate)
                } catch {
                    return PolicyFailure.result(
                        .malformedInput, "\(certificate.displayName) has a malformed subject alternative name")
                }
                work += names.count * (constraints.permittedSubtrees.count + constraints.excludedSubtrees.count)
                guard work <= Self.maximumWork else {
                    return PolicyFailure.result(
                        .constraintViolation,
                        "the chain of \(certificates[0].displayName) has more names and name constraints than this "
                            + "verifier will evaluate (\(Self.maximumWork) comparisons)"
                    )
                }
                for name in names {
                    if let problem = Self.problem(with: name, under: constraints) {
                        return PolicyFailure.result(
                            .constraintViolation,
                            "\(certificate.displayName): \(problem) (name constraints of \(issuer.displayName))"
                        )
                    }
                }
            }
        }
        return .meetsPolicy
    }

    /// The names a constraint can bind: the subject (when not empty), every subject alternative name, and, when there
    /// are no alternative names, e-mail addresses in the subject (RFC 5280 §4.2.1.10).
    static func names(of certificate: Certificate) throws -> [GeneralName] {
        var names: [GeneralName] = []
        if !certificate.subject.isEmpty { names.append(.directoryName(certificate.subject)) }
        if let alternatives = try certificate.extensions.subjectAlternativeNames, !alternatives.isEmpty {
            names += alternatives
        } else {
            for rdn in certificate.subject {
                for attribute in rdn where attribute.type == .RDNAttributeType.emailAddress {
                    if let address = String(attribute.value) { names.append(.rfc822Name(address)) }
                }
            }
        }
        return names
    }

    /// Why `name` is not allowed by `constraints`, or nil.
    static func problem(with name: GeneralName, under constraints: NameConstraints) -> String? {
        let form = Form(name)
        for excluded in constraints.excludedSubtrees where Form(excluded) == form {
            guard form.isEvaluated else {
                return "its \(form) name cannot be checked against an excluded \(form) subtree"
            }
            if Self.matches(name, excluded, excluding: true) {
                return "the name \(Self.describe(name)) is in the excluded subtree \(Self.describe(excluded))"
            }
        }
        let permitted = constraints.permittedSubtrees.filter { Form($0) == form }
        guard !permitted.isEmpty else { return nil }
        guard form.isEvaluated else {
            return "its \(form) name cannot be checked against a permitted \(form) subtree"
        }
        if permitted.contains(where: { Self.matches(name, $0, excluding: false) }) { return nil }
        return "the name \(Self.describe(name)) is outside the permitted subtrees "
            + permitted.map(Self.describe).joined(separator: ", ")
    }

    /// Whether `name` lies within `subtree` (both of the same form). For a wildcard DNS name, `excluding` asks whether
    /// any name it stands for lies within the subtree, otherwise whether all of them do.
    static func matches(_ name: GeneralName, _ subtree: GeneralName, excluding: Bool) -> Bool {
        switch (name, subtree) {
        case (.dnsName(let name), .dnsName(let constraint)):
            let name = name.lowercased()
            let constraint = constraint.lowercased()
            guard name.hasPrefix("*.") else { return Self.dnsName(name, isWithin: constraint) }
            // `*.base` stands for every name one label under `base`.
            let base = String(name.dropFirst(2))
            let within = Self.dnsName(base, isWithin: constraint)
            if constraint.hasPrefix(".") { return within || base == constraint.dropFirst() }
            if excluding, let dot = constraint.firstIndex(of: "."), constraint[constraint.index(after: dot)...] == base
            {
                return true
            }
            return within
        case (.ipAddress(let address), .ipAddress(let network)):
            return Self.address(Array(address.bytes), isIn: Array(network.bytes))
        case (.uniformResourceIdentifier(let uri), .uniformResourceIdentifier(let constraint)):
            // The constraint names a host (exactly) or, with a leading period, a domain (RFC 5280 §4.2.1.10). A URI
            // without a host, or whose host is an IP address, is outside every URI subtree.
            guard let host = URLComponents(string: uri)?.host?.lowercased(), !host.isEmpty, !Self.isIPAddress(host)
            else { return false }
            let constraint = constraint.lowercased()
            return constraint.hasPrefix(".") ? host.hasSuffix(constraint) : host == constraint
        case (.rfc822Name(let address), .rfc822Name(let constraint)):
            return Self.mailbox(address, isWithin: constraint)
        case (.directoryName(let name), .directoryName(let constraint)):
            return Self.distinguishedName(name, startsWith: constraint)
        default:
            return false
        }
    }

    /// `example.com` binds itself and its subdomains; `.example.com` only its subdomains; the empty constraint binds
    /// every name.
    static func dnsName(_ name: String, isWithin constraint: String) -> Bool {
        var name = name
        var constraint = constraint
        if name.hasSuffix(".") { name.removeLast() }
        if constraint.hasSuffix(".") { constraint.removeLast() }
        if constraint.isEmpty { return true }
        if constraint.hasPrefix(".") { return name.hasSuffix(constraint) }
        return name == constraint || name.hasSuffix("." + constraint)
    }

    /// `user@host` binds one mailbox; `host` every mailbox at that host; `.example.com` every mailbox at a host in the
    /// domain. Local parts compare exactly, hosts without case.
    static func mailbox(_ address: String, isWithin constraint: String) -> Bool {
        guard let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at]
        let host = address[address.index(after: at)...].lowercased()
        if let constraintAt = constraint.lastIndex(of: "@") {
            return local == constraint[..<constraintAt]
                && host == constraint[constraint.index(after: constraintAt)...].lowercased()
        }
        let constraint = constraint.lowercased()
        return constraint.hasPrefix(".") ? host.hasSuffix(constraint) : host == constraint
    }

    /// The constraint's relative distinguished names are the first ones of the name, compared attribute by attribute
    /// with case and runs of spaces ignored in string values (a simplification of RFC 4518's preparation).
    static func distinguishedName(_ name: DistinguishedName, startsWith constraint: DistinguishedName) -> Bool {
        let names = Array(name)
        let prefix = Array(constraint)
        guard prefix.count <= names.count else { return false }
        return zip(names, prefix).allSatisfy { Self.normalised($0) == Self.normalised($1) }
    }

    private static func normalised(_ rdn: RelativeDistinguishedName) -> Set<String> {
        Set(
            rdn.map { attribute in
                let value =
                    String(attribute.value).map {
                        $0.lowercased().split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                    } ?? "#\(attribute.value)"
                return "\(attribute.type)=\(value)"
            })
    }

    static func address(_ address: [UInt8], isIn network: [UInt8]) -> Bool {
        guard network.count == 2 * address.count else { return false }
        let base = network.prefix(address.count)
        let mask = Array(network.suffix(address.count))
        // A mask must be a run of ones then zeros (a CIDR prefix); anything else matches nothing.
        var bits: [Bool] = []
        for byte in mask { for bit in 0..<8 { bits.append(byte & (0x80 >> bit) != 0) } }
        guard !bits.drop(while: { $0 }).contains(true) else { return false }
        return zip(zip(address, base), mask).allSatisfy { pair, mask in pair.0 & mask == pair.1 & mask }
    }

    private static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return inet_pton(AF_INET, bare, &v4) == 1 || inet_pton(AF_INET6, bare, &v6) == 1
    }

    private static func describe(_ name: GeneralName) -> String {
        switch name {
        case .dnsName(let dns): return "DNS:\(dns.isEmpty ? "(any)" : dns)"
        case .rfc822Name(let mail): return "email:\(mail)"
        case .uniformResourceIdentifier(let uri): return "URI:\(uri)"
        case .directoryName(let dn): return "DN:\(dn)"
        case .ipAddress(let bytes):
            let bytes = Array(bytes.bytes)
            if bytes.count == 8 || bytes.count == 32 {
                let half = bytes.count / 2
                let prefix = bytes[half...].reduce(0) { $0 + $1.nonzeroBitCount }
                return "IP:\(ServerNamePolicy.text(ofIP: Array(bytes[..<half])) ?? "?")/\(prefix)"
            }
            return "IP:\(ServerNamePolicy.text(ofIP: bytes) ?? "\(bytes)")"
        default: return "\(name)"
        }
    }

    /// The name forms of RFC 5280's GeneralName, and whether this policy evaluates them.
    enum Form: Equatable, CustomStringConvertible {
        case dns, ip, uri, email, directory, other, x400, edi, registeredID

        init(_ name: GeneralName) {
            switch name {
            case .dnsName: self = .dns
            case .ipAddress: self = .ip
            case .uniformResourceIdentifier: self = .uri
            case .rfc822Name: self = .email
            case .directoryName: self = .directory
            case .otherName: self = .other
            case .x400Address: self = .x400
            case .ediPartyName: self = .edi
            case .registeredID: self = .registeredID
            }
        }

        var isEvaluated: Bool { [.dns, .ip, .uri, .email, .directory].contains(self) }

        var description: String {
            switch self {
            case .dns: return "dNSName"
            case .ip: return "iPAddress"
            case .uri: return "URI"
            case .email: return "rfc822Name"
            case .directory: return "directoryName"
            case .other: return "otherName"
            case .x400: return "x400Address"
            case .edi: return "ediPartyName"
            case .registeredID: return "registeredID"
            }
        }
    }
}
