import ConsortPKI
import Crypto
import NIOCore
import NIOSSL
import SwiftASN1
import Synchronization
import X509

/// Mutual TLS for Consort: TLS 1.3 only, client certificates required, and every peer chain verified by
/// `ConsortVerifier` (operator root, CRLs, key usage, extended key usage, identity) rather than BoringSSL's own checks.
/// The verified identity of each connection is kept for the authorisation decisions made on it.
package struct TLSPeerAuthentication: Sendable {
    package var identity: SigningIdentity
    package var verifier: ConsortVerifier

    package init(identity: SigningIdentity, verifier: ConsortVerifier) {
        self.identity = identity
        self.verifier = verifier
    }

    /// Where the verified identity of one connection lands once the handshake has run the callback.
    package final class PeerIdentity: Sendable {
        private let value = Mutex<(verified: VerifiedIdentity?, rejection: String?)>((nil, nil))
        private let onReject: (@Sendable (String) -> Void)?
        /// `onReject` hears every refusal (e.g. to audit it).
        package init(onReject: (@Sendable (String) -> Void)? = nil) { self.onReject = onReject }
        package var verified: VerifiedIdentity? { self.value.withLock { $0.verified } }
        /// Why the peer's certificate was refused, if it was: a refusal is final, unlike a network error.
        package var rejection: String? { self.value.withLock { $0.rejection } }
        func set(_ identity: VerifiedIdentity) { self.value.withLock { $0.verified = identity } }
        func reject(_ reason: String) {
            self.value.withLock { $0.rejection = reason }
            self.onReject?(reason)
        }
    }

    package func serverContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try self.chain(), privateKey: .privateKey(try self.key())
        )
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .certificates([try Self.niossl(self.verifier.root)])
        return try self.context(configuration)
    }

    package func clientContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv13
        configuration.certificateChain = try self.chain()
        configuration.privateKey = .privateKey(try self.key())
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .certificates([try Self.niossl(self.verifier.root)])
        return try self.context(configuration)
    }

    /// A server-side TLS handler that verifies the client's chain for `usage` and records who it is. With `admit`, the
    /// handshake also fails unless the verified identity passes it (e.g. "a node of one of this session's members").
    package func serverHandler(
        context: NIOSSLContext,
        usage: ConsortVerifier.Usage = .client,
        peer: PeerIdentity,
        admit: (@Sendable (VerifiedIdentity) -> Bool)? = nil
    ) -> NIOSSLServerHandler {
        NIOSSLServerHandler(
            context: context,
            customVerificationCallbackWithMetadata: self.callback(usage: usage, peer: peer, admit: admit))
    }

    /// A client-side TLS handler that verifies the server's chain for `usage` and records who it is.
    package func clientHandler(
        context: NIOSSLContext,
        serverHostname: String?,
        usage: ConsortVerifier.Usage = .server,
        peer: PeerIdentity,
        admit: (@Sendable (VerifiedIdentity) -> Bool)? = nil
    ) throws -> NIOSSLClientHandler {
        try NIOSSLClientHandler(
            context: context, serverHostname: serverHostname,
            customVerificationCallbackWithMetadata: self.callback(usage: usage, peer: peer, admit: admit)
        )
    }

    private func callback(
        usage: ConsortVerifier.Usage,
        peer: PeerIdentity,
        admit: (@Sendable (VerifiedIdentity) -> Bool)?
    ) -> NIOSSLCustomVerificationCallbackWithMetadata {
        let verifier = self.verifier
        return { certificates, promise in
            let presented: [Certificate]
            do {
                presented = try certificates.map { try Certificate(derEncoded: try $0.toDERBytes()) }
            } catch {
                peer.reject("the peer's certificate cannot be parsed: \(error)")
                promise.succeed(.failed)
                return
            }
            Task {
                do {
                    let identity = try await verifier.verify(chain: presented, usage: usage)
                    peer.set(identity)
                    if let admit, !admit(identity) {
                        peer.reject(
                            "\(identity.identity.map { "\($0)" } ?? "\(identity.subject)") may not take part in this exchange"
                        )
                        promise.succeed(.failed)
                        return
                    }
                    let validated = try identity.chain.map { try Self.niossl($0) }
                    promise.succeed(.certificateVerified(VerificationMetadata(ValidatedCertificateChain(validated))))
                } catch {
                    peer.reject("the peer's certificate is not valid: \(error)")
                    promise.succeed(.failed)
                }
            }
        }
    }

    private func chain() throws -> [NIOSSLCertificateSource] {
        try self.identity.chain.map { .certificate(try Self.niossl($0)) }
    }

    private func key() throws -> NIOSSLPrivateKey {
        try NIOSSLPrivateKey(bytes: Array(self.identity.privateKey.derRepresentation), format: .der)
    }

    private func context(_ configuration: TLSConfiguration) throws -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw TransportError(
                .tls, "cannot set up TLS with the identity \(self.identity.certificate.subject): \(error)",
                underlying: error)
        }
    }

    static func niossl(_ certificate: Certificate) throws -> NIOSSLCertificate {
        try NIOSSLCertificate(bytes: try DERCoding.bytes(certificate), format: .der)
    }
}
