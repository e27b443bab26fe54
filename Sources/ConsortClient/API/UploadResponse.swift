import ConsortPKI
import ConsortSpec
import Crypto
import X509

/// `POST /v1/tasks/{id}/inputs/{table}`: the node's receipt of an upload and its ES256 signature (base64url, P1363)
/// over the receipt's canonical JSON (`APIJSON.canonical`).
package struct UploadResponse: Codable, Sendable, Equatable {
    /// What the node took in.
    package struct Receipt: Codable, Sendable, Equatable {
        package var task: String
        package var table: String
        package var member: String
        package var rows: Int
        package var batch: String
        /// Whether the batch is the party's last of the table.
        package var final: Bool
        /// SHA-256 of the uploaded envelope.
        package var sha256: String
        /// The node that signs.
        package var node: String
        package var at: String

        package init(
            task: String, table: String, member: String, rows: Int, batch: String, final: Bool, sha256: String,
            node: String, at: String
        ) {
            self.task = task
            self.table = table
            self.member = member
            self.rows = rows
            self.batch = batch
            self.final = final
            self.sha256 = sha256
            self.node = node
            self.at = at
        }
    }

    package var receipt: Receipt
    package var signature: String

    package init(receipt: Receipt, signature: String) {
        self.receipt = receipt
        self.signature = signature
    }

    /// Signs `receipt` with the node's key.
    package static func signed(_ receipt: Receipt, by key: P256.Signing.PrivateKey) throws -> UploadResponse {
        UploadResponse(
            receipt: receipt, signature: Base64URL.encode(try ES256.sign(try APIJSON.canonical(receipt), with: key)))
    }

    /// Whether the signature is the receipt's under `certificate` (the node's, as verified in the TLS handshake).
    package func isSigned(by certificate: Certificate) -> Bool {
        guard let key = P256.Signing.PublicKey(certificate.publicKey), let signature = Base64URL.decode(self.signature),
            let bytes = try? APIJSON.canonical(self.receipt)
        else { return false }
        return ES256.isValid(p1363: signature, for: bytes, publicKey: key)
    }
}
