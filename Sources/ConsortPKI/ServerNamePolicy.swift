import Foundation
import SwiftASN1
import X509

/// Web PKI server-name rules on top of swift-certificates' `ServerIdentityPolicy`, which would fall back to the subject
/// common name: a name is matched only against subject alternative names, and a common name must not present a name
/// in a spelling that differs from the subject alternative name it stands for (CA/B Forum BR 7.1.4.3) — a different
/// letter case, a non-canonical IP address, or an internationalised name that is not among the SANs.
struct ServerNamePolicy: VerifierPolicy {
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = []

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        let leaf = chain.leaf
        guard let names = try? leaf.extensions.subjectAlternativeNames, !names.isEmpty else {
            return PolicyFailure.result(
                .wrongUsage, "\(leaf.displayName) has no subject alternative names, so it cannot match a server name"
            )
        }
        let spelled: [String] = names.compactMap { name in
            switch name {
            case .dnsName(let dns): return dns
            case .ipAddress(let bytes): return Self.text(ofIP: Array(bytes.bytes))
            default: return nil
            }
        }
        for rdn in leaf.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                let commonName = String(describing: attribute.value)
                if !spelled.contains(commonName) && Self.isMisspelledAlias(commonName, of: names) {
                    return PolicyFailure.result(
                        .wrongUsage,
                        "\(leaf.displayName) has a common name '\(commonName)' that differs from the spelling of its "
                            + "subject alternative names"
                    )
                }
            }
        }
        return .meetsPolicy
    }

    private static func isMisspelledAlias(_ commonName: String, of names: SubjectAlternativeNames) -> Bool {
        if let address = Self.parseIP(commonName) {
            return names.contains {
                if case .ipAddress(let bytes) = $0 { return Array(bytes.bytes) == address }; return false
            }
        }
        let lowered = commonName.lowercased()
        if names.contains(where: {
            if case .dnsName(let dns) = $0 { return dns.lowercased() == lowered }; return false
        }) {
            return true
        }
        let internationalised =
            !commonName.allSatisfy(\.isASCII)
            || lowered.split(separator: ".").contains { $0.hasPrefix("xn--") }
        return internationalised
    }

    /// IP address bytes of text in any form the C library accepts (hex and octal IPv4 included), or nil.
    private static func parseIP(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if text.withCString({ inet_aton($0, &v4) }) != 0, text.contains(where: { $0 == "." || $0 == "x" || $0 == "X" })
        {
            return withUnsafeBytes(of: v4.s_addr) { Array($0) }
        }
        var v6 = in6_addr()
        if text.withCString({ inet_pton(AF_INET6, $0, &v6) }) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    /// The canonical text of an IP address (dotted quad, or RFC 5952 lowercase IPv6).
    static func text(ofIP bytes: [UInt8]) -> String? {
        switch bytes.count {
        case 4:
            return bytes.map(String.init).joined(separator: ".")
        case 16:
            var groups: [UInt16] = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
            // Longest run of two or more zero groups becomes "::".
            var best: Range<Int>? = nil
            var index = 0
            while index < 8 {
                guard groups[index] == 0 else { index += 1; continue }
                var end = index
                while end < 8 && groups[end] == 0 { end += 1 }
                if end - index >= 2, (best?.count ?? 0) < end - index { best = index..<end }
                index = end
            }
            let hex = { (group: UInt16) in String(group, radix: 16) }
            guard let run = best else { return groups.map(hex).joined(separator: ":") }
            let head = groups[..<run.lowerBound].map(hex).joined(separator: ":")
            let tail = groups[run.upperBound...].map(hex).joined(separator: ":")
            groups.removeAll()
            return head + "::" + tail
        default:
            return nil
        }
    }
}
