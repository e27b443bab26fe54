import ConsortPKI
import Crypto
import Foundation
import SwiftASN1
import X509

/// The consortium's member directory (`directory/1`): who the members are, their roles, their member CA certificates
/// and the endpoints of their nodes, signed by the operator. Nodes and clients trust a member only if the directory
/// lists it and its CA certificate verifies under the operator root.
///
/// Wire form: a JWS (general JSON serialization, one ES256 signature by the operator root key, `x5c` = the root)
/// whose payload is `{"consort": "directory/1", "issuedAt": ..., "members": [{"id", "name", "roles", "ca", "endpoint"?,
/// "mpcPort"?}]}` with `ca` the member CA certificate in PEM.
package struct MemberDirectory: Sendable {
    package struct Member: Sendable {
        package var id: MemberID
        package var name: String
        package var roles: Set<MemberRole>
        package var certificate: Certificate
        /// `https://host:port` of the member's node, for members that run a reachable node.
        package var endpoint: URL?
        /// The port of a computing party's MPC listener on the endpoint's host; by default the endpoint's port + 1.
        package var mpcPort: Int?

        package init(
            id: MemberID, name: String, roles: Set<MemberRole>, certificate: Certificate, endpoint: URL?,
            mpcPort: Int? = nil
        ) {
            self.id = id
            self.name = name
            self.roles = roles
            self.certificate = certificate
            self.endpoint = endpoint
            self.mpcPort = mpcPort
        }

        /// Where the member's node takes MPC connections: the endpoint's host, `mpcPort` or the API port + 1.
        package var mpcAddress: (host: String, port: Int)? {
            guard let host = self.endpoint?.host, let port = self.endpoint?.port else { return nil }
            return (host, self.mpcPort ?? port + 1)
        }
    }

    package static let format = "directory/1"

    package var members: [Member]
    package var issuedAt: Date

    package func member(_ id: MemberID) -> Member? { self.members.first { $0.id == id } }

    // MARK: Input (members.json)

    /// Reads the operator's `members.json` (`{"members": [...]}`); `ca` is a PEM text or a path to a PEM file, relative
    /// paths resolved against `baseDirectory`. Each CA must be a member CA issued by `root` for that id, granting at
    /// least the listed roles.
    package static func readMembers(_ bytes: [UInt8], baseDirectory: String, root: Certificate, now: Date = Date())
        throws -> MemberDirectory
    {
        let value = try StrictJSONReader().parse(bytes)
        let reader = DocumentReader()
        guard let object = reader.object(value, at: "", required: ["members"]),
            let entries = reader.array(object["members"], at: "/members", count: 1...10_000)
        else {
            throw SpecError(
                .invalidDocument, "members.json must be {\"members\": [...]}", diagnostics: reader.diagnostics)
        }
        var members: [Member] = []
        for (index, entry) in entries.enumerated() {
            let pointer = "/members/\(index)"
            guard
                let fields = reader.object(
                    entry, at: pointer, required: ["id", "name", "roles", "ca"], optional: ["endpoint", "mpcPort"]),
                let id = reader.string(fields["id"], at: pointer + "/id", length: 1...63),
                let name = reader.string(fields["name"], at: pointer + "/name", length: 1...200),
                let roleValues = reader.array(fields["roles"], at: pointer + "/roles", count: 1...8),
                let ca = reader.string(fields["ca"], at: pointer + "/ca", length: 1...65_536)
            else { continue }
            let roleNames = roleValues.compactMap(\.stringValue)
            let endpoint = reader.string(fields["endpoint"], at: pointer + "/endpoint", length: 1...300)
            let pem =
                ca.contains("-----BEGIN")
                ? ca : try PEMFiles.readText(ca.hasPrefix("/") ? ca : "\(baseDirectory)/\(ca)")
            let certificate = try PEMFiles.certificates(fromPEM: pem, source: "\(pointer)/ca").first
                .orThrow(SpecError(.invalidDocument, "\(pointer)/ca: no certificate"))
            members.append(
                try Self.member(
                    id: id, name: name, roleNames: roleNames, certificate: certificate,
                    endpoint: fields["endpoint"] == nil ? nil : endpoint ?? "",
                    mpcPort: Self.mpcPort(fields, reader, pointer), at: pointer, root: root, now: now))
        }
        guard reader.diagnostics.isEmpty else {
            throw SpecError(.invalidDocument, "members.json is malformed", diagnostics: reader.diagnostics)
        }
        return try MemberDirectory(checking: members, issuedAt: now)
    }

    package init(checking members: [Member], issuedAt: Date) throws {
        var seen = Set<MemberID>()
        for member in members where !seen.insert(member.id).inserted {
            throw SpecError(.invalidDocument, "member '\(member.id)' is listed twice")
        }
        self.members = members
        self.issuedAt = issuedAt
    }

    /// The optional `mpcPort` of an entry; a malformed one is a diagnostic of `reader`.
    static func mpcPort(_ fields: JSONObject, _ reader: DocumentReader, _ pointer: String) -> Int? {
        fields["mpcPort"].flatMap { reader.integer($0, at: pointer + "/mpcPort", range: 1...65_535) }.map { Int($0) }
    }

    package static func member(
        id: String, name: String, roleNames: [String], certificate: Certificate, endpoint: String?, mpcPort: Int?,
        at pointer: String, root: Certificate, now: Date
    ) throws -> Member {
        let memberID = try MemberID(id)
        let roles = try Set(roleNames.map { try MemberRole(parsing: $0) })
        guard certificate.issuer == root.subject,
            root.publicKey.isValidSignature(certificate.signature, for: certificate)
        else {
            throw SpecError(
                .untrustedSigner, "\(pointer)/ca: the CA certificate of '\(id)' is not issued by this operator root")
        }
        guard certificate.notValidBefore <= now, now <= certificate.notValidAfter else {
            throw SpecError(
                .untrustedSigner,
                "\(pointer)/ca: the CA certificate of '\(id)' is not valid now (\(certificate.notValidBefore) to \(certificate.notValidAfter))"
            )
        }
        let (certifiedID, _) = try CertificateProfile.memberIdentity(of: certificate)
        guard certifiedID == memberID else {
            throw SpecError(
                .invalidDocument, "\(pointer): the CA certificate is for member '\(certifiedID)', not '\(id)'")
        }
        let granted =
            try certificate.extensions.first { $0.oid == ConsortOID.memberRoles }.map {
                try MemberRolesExtension($0).roles
            } ?? []
        guard roles.isSubset(of: granted) else {
            throw SpecError(
                .invalidDocument,
                "\(pointer)/roles: '\(id)' was admitted with roles \(granted.sorted().map(\.rawValue)), not \(roles.subtracting(granted).sorted().map(\.rawValue))"
            )
        }
        var url: URL? = nil
        if let endpoint {
            guard let parsed = URL(string: endpoint), parsed.scheme == "https", parsed.host != nil,
                parsed.path.isEmpty || parsed.path == "/"
            else {
                throw SpecError(.invalidDocument, "\(pointer)/endpoint: '\(endpoint)' is not https://host:port")
            }
            url = parsed
        }
        if let mpcPort {
            guard url != nil, (1...65_535).contains(mpcPort), mpcPort != url?.port else {
                throw SpecError(
                    .invalidDocument,
                    "\(pointer)/mpcPort: \(mpcPort) needs an endpoint, and must be a port other than the endpoint's")
            }
        }
        return Member(id: memberID, name: name, roles: roles, certificate: certificate, endpoint: url, mpcPort: mpcPort)
    }

    // MARK: Signed form

    /// The payload bytes (canonical: members in the order given, keys in a fixed order).
    package func payload() throws -> [UInt8] {
        let members: [JSONValue] = try self.members.map { member in
            var fields: [(String, JSONValue)] = [
                ("id", .string(member.id.rawValue)), ("name", .string(member.name)),
                ("roles", .array(member.roles.sorted().map { .string($0.rawValue) })),
                ("ca", .string(try PEMFiles.pem([member.certificate]))),
            ]
            if let endpoint = member.endpoint { fields.append(("endpoint", .string(endpoint.absoluteString))) }
            if let mpcPort = member.mpcPort { fields.append(("mpcPort", .number(JSONNumber(Int64(mpcPort))))) }
            return .object(JSONObject(fields))
        }
        return JSONWriter.write(
            .object(
                JSONObject([
                    ("consort", .string(Self.format)),
                    ("issuedAt", .string(DocumentReader.formatTimestamp(self.issuedAt))), ("members", .array(members)),
                ])))
    }

    /// The directory signed by the operator (its root certificate and key).
    package func signed(by root: Certificate, key: P256.Signing.PrivateKey) throws -> [UInt8] {
        let header: JSONValue = .object(
            JSONObject([
                ("alg", "ES256"), ("x5c", .array([.string(Base64URL.encodeStandard(try MultiSignatureJWS.der(root)))])),
                ("typ", .string(Self.format)),
            ]))
        let protectedEncoded = Base64URL.encode(JSONWriter.write(header))
        let payloadEncoded = Base64URL.encode(try self.payload())
        let signature = try ES256.sign(Array("\(protectedEncoded).\(payloadEncoded)".utf8), with: key)
        var bytes = JSONWriter.write(
            .object(
                JSONObject([
                    ("payload", .string(payloadEncoded)),
                    (
                        "signatures",
                        .array([
                            .object(
                                JSONObject([
                                    ("protected", .string(protectedEncoded)),
                                    ("signature", .string(Base64URL.encode(signature))),
                                ]))
                        ])
                    ),
                ])))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Verifies a signed directory against the operator `root` (signature by the root key over the exact payload),
    /// then reads it strictly and re-checks every member CA under the root.
    package static func verify(_ bytes: [UInt8], root: Certificate, now: Date = Date()) throws -> MemberDirectory {
        let jws = try MultiSignatureJWS(parsing: bytes)
        guard jws.signatures.count == 1, let signature = jws.signatures.first else {
            throw SpecError(.invalidDocument, "a directory carries exactly one signature, the operator's")
        }
        let header = try StrictJSONReader().parse(signature.protectedBytes)
        guard header["alg"]?.stringValue == "ES256", header["typ"]?.stringValue == Self.format else {
            throw SpecError(
                .unsupportedAlgorithm, "the directory's protected header must have alg ES256 and typ \(Self.format)")
        }
        guard let key = P256.Signing.PublicKey(root.publicKey),
            ES256.isValid(p1363: signature.signature, for: jws.signingInput(signature), publicKey: key)
        else {
            throw SpecError(
                .badSignature,
                "the directory is not signed by this operator root (\(root.subject)): altered, or another consortium's")
        }
        let value = try StrictJSONReader().parse(jws.payload)
        let reader = DocumentReader()
        guard let object = reader.object(value, at: "", required: ["consort", "issuedAt", "members"]),
            reader.string(object["consort"], at: "/consort", length: 1...32) == Self.format,
            let issuedText = reader.string(object["issuedAt"], at: "/issuedAt", length: 1...40),
            let issuedAt = DocumentReader.parseTimestamp(issuedText),
            let entries = reader.array(object["members"], at: "/members", count: 1...10_000)
        else {
            throw SpecError(
                .invalidDocument, "the directory payload is not \(Self.format)", diagnostics: reader.diagnostics)
        }
        var members: [Member] = []
        for (index, entry) in entries.enumerated() {
            let pointer = "/members/\(index)"
            guard
                let fields = reader.object(
                    entry, at: pointer, required: ["id", "name", "roles", "ca"], optional: ["endpoint", "mpcPort"]),
                let id = fields["id"]?.stringValue, let name = fields["name"]?.stringValue,
                let roles = fields["roles"]?.arrayValue,
                let pem = fields["ca"]?.stringValue,
                let certificate = try PEMFiles.certificates(fromPEM: pem, source: pointer + "/ca").first
            else {
                throw SpecError(.invalidDocument, "\(pointer) is malformed", diagnostics: reader.diagnostics)
            }
            members.append(
                try Self.member(
                    id: id, name: name, roleNames: roles.compactMap(\.stringValue), certificate: certificate,
                    endpoint: fields["endpoint"]?.stringValue,
                    mpcPort: Self.mpcPort(fields, reader, pointer), at: pointer, root: root, now: now))
        }
        guard reader.diagnostics.isEmpty else {
            throw SpecError(.invalidDocument, "the directory payload is malformed", diagnostics: reader.diagnostics)
        }
        return try MemberDirectory(checking: members, issuedAt: issuedAt)
    }
}

extension Optional {
    func orThrow(_ error: @autoclosure () -> any Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
