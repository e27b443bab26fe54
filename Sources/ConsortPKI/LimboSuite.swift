import Foundation
import SwiftASN1
import X509

/// Runs C2SP x509-limbo test cases through `ChainVerifier` and reports results in limbo's result format.
package enum LimboSuite {
    package struct Suite: Decodable {
        package var testcases: [TestCase]
    }

    package struct TestCase: Decodable, Sendable {
        package var id: String
        package var features: [String]?
        package var validation_kind: String
        package var trusted_certs: [String]
        package var untrusted_intermediates: [String]
        package var peer_certificate: String
        package var validation_time: String?
        package var key_usage: [String]?
        package var extended_key_usage: [String]?
        package var expected_result: String
        package var expected_peer_name: PeerName?
        package var max_chain_depth: Int?
        package var crls: [String]?
    }

    package struct PeerName: Decodable, Sendable {
        package var kind: String
        package var value: String
    }

    /// One entry of limbo's result file.
    package struct Result: Codable, Sendable {
        package var id: String
        package var actual_result: String
        package var context: String?
    }

    package static func load(_ path: String) throws -> Suite {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw PKIError(.fileAccess, "cannot read '\(path)': \(error.localizedDescription)", underlying: error)
        }
        do {
            return try JSONDecoder().decode(Suite.self, from: data)
        } catch {
            throw PKIError(.malformedInput, "'\(path)' is not an x509-limbo suite: \(error)", underlying: error)
        }
    }

    package static func run(_ testCase: TestCase) async -> Result {
        func result(_ actual: String, _ context: String?) -> Result {
            Result(id: testCase.id, actual_result: actual, context: context)
        }
        if testCase.features?.contains("pedantic-public-suffix-wildcard") == true {
            return result(
                "SKIPPED",
                "needs the Public Suffix List, which Consort does not ship (its profile has no wildcard names)")
        }
        var usage = ChainVerifier.Usage.any
        switch testCase.validation_kind {
        case "SERVER", "CLIENT": break
        default: return result("SKIPPED", "validation kind \(testCase.validation_kind) is not supported")
        }
        for name in testCase.extended_key_usage ?? [] {
            switch name {
            case "serverAuth": usage.extendedKeyUsages.append(.ExtendedKeyUsage.serverAuth)
            case "clientAuth": usage.extendedKeyUsages.append(.ExtendedKeyUsage.clientAuth)
            default: return result("SKIPPED", "extended key usage \(name) is not supported")
            }
        }
        if let names = testCase.key_usage, !names.isEmpty {
            var keyUsage = KeyUsage()
            for name in names {
                switch name {
                case "digitalSignature": keyUsage.digitalSignature = true
                case "keyEncipherment": keyUsage.keyEncipherment = true
                case "keyAgreement": keyUsage.keyAgreement = true
                default: return result("SKIPPED", "key usage \(name) is not supported")
                }
            }
            usage.keyUsage = keyUsage
        }
        var serverName: ChainVerifier.ServerName?
        if let peer = testCase.expected_peer_name {
            switch peer.kind {
            case "DNS": serverName = .dns(peer.value)
            case "IP": serverName = .ip(peer.value)
            default: return result("SKIPPED", "peer name kind \(peer.kind) is not supported")
            }
        }
        let time: Date
        if let text = testCase.validation_time {
            guard let parsed = Self.parseTime(text) else {
                return result("SKIPPED", "unreadable validation time \(text)")
            }
            time = parsed
        } else {
            time = Date()
        }
        do {
            let roots = try testCase.trusted_certs.map { try Certificate(pemEncoded: $0) }
            let intermediates = try testCase.untrusted_intermediates.map { try Certificate(pemEncoded: $0) }
            let leaf = try Certificate(pemEncoded: testCase.peer_certificate)
            let crls = try (testCase.crls ?? []).map { try CertificateRevocationList(pemEncoded: $0) }
            let verifier = ChainVerifier(
                roots: roots,
                intermediates: intermediates,
                crls: crls,
                usage: usage,
                serverName: serverName,
                maximumIntermediates: testCase.max_chain_depth
            )
            _ = try await verifier.validate(leaf: leaf, at: time)
            return result("SUCCESS", nil)
        } catch let error as PKIError {
            return result("FAILURE", error.message)
        } catch {
            return result("FAILURE", "\(error)")
        }
    }

    private static func parseTime(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
