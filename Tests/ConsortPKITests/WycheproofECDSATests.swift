import ConsortPKI
import ConsortTesting
import Crypto
import Foundation
import Testing

@Suite("Wycheproof ECDSA P-256 / SHA-256 through ES256")
struct WycheproofECDSATests {
    struct File: Decodable {
        var testGroups: [Group]
    }

    struct Group: Decodable {
        var publicKey: Key
        var tests: [Vector]
    }

    struct Key: Decodable {
        var uncompressed: String
    }

    struct Vector: Decodable {
        var tcId: Int
        var msg: String
        var sig: String
        var result: String
    }

    enum Encoding: String, CaseIterable {
        case der = "ecdsa_secp256r1_sha256_test.json"
        case p1363 = "ecdsa_secp256r1_sha256_p1363_test.json"
    }

    @Test("every valid vector verifies, every invalid one fails", arguments: Encoding.allCases)
    func vectors(_ encoding: Encoding) throws {
        let file = try JSONDecoder().decode(
            File.self, from: Data(contentsOf: try TestData.file("wycheproof/\(encoding.rawValue)"))
        )
        var counts: [String: Int] = [:]
        for group in file.testGroups {
            let key = try P256.Signing.PublicKey(
                x963Representation: try #require(Hex.decode(group.publicKey.uncompressed)))
            for vector in group.tests {
                let message = try #require(Hex.decode(vector.msg))
                let signature = try #require(Hex.decode(vector.sig))
                let valid: Bool
                switch encoding {
                case .der: valid = ES256.isValid(der: signature, for: message, publicKey: key)
                case .p1363: valid = ES256.isValid(p1363: signature, for: message, publicKey: key)
                }
                switch vector.result {
                case "valid": #expect(valid, "tcId \(vector.tcId) should verify")
                case "invalid": #expect(!valid, "tcId \(vector.tcId) should not verify")
                default: break
                }
                counts[vector.result, default: 0] += 1
            }
        }
        #expect((counts["valid"] ?? 0) > 100 && (counts["invalid"] ?? 0) > 50)
        print("Wycheproof \(encoding): \(counts.sorted { $0.key < $1.key })")
    }

    @Test("our own signatures are P1363 and verify")
    func roundTrip() throws {
        let key = P256.Signing.PrivateKey()
        let signature = try ES256.sign(Array("payload".utf8), with: key)
        #expect(signature.count == 64)
        #expect(ES256.isValid(p1363: signature, for: Array("payload".utf8), publicKey: key.publicKey))
        #expect(!ES256.isValid(p1363: signature, for: Array("payloaD".utf8), publicKey: key.publicKey))
    }
}
