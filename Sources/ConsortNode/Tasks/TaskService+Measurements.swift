import ConsortAudit
import ConsortMPC
import ConsortPKI
import ConsortSpec
import ConsortTransport
import Crypto
import Foundation
import X509

extension TaskService {
    /// At the start of a session, before any input is read: every computing party sends the others its build
    /// measurement signed with its node key (`BuildMeasurement`), each signature is checked against the certificate
    /// the party presented in the handshake, and all of them are audited (`mpc.measurements`). If the CTS pins builds
    /// (`engine.measurements`), a party running another one — this node included — ends the session, naming it.
    func exchangeMeasurements(
        _ task: String, _ cts: ComputationTaskSpecification, transport: MPCTLSTransport, party: Int
    ) async throws {
        let own = BuildMeasurement.current
        let signature = try ES256.sign(
            own.statement(task: task, member: self.node.member), with: self.node.identity.privateKey)
        let mine = BuildMeasurement.Signed(measurement: own, signature: signature)
        let allowed = cts.engine.measurements
        var claims = [(party, mine)]
        let exchanged: [(Int, [UInt64])]
        do {
            exchanged = try await transport.exchangeWithEveryPeer(mine.words())
        } catch  where !allowed.isEmpty && !allowed.contains(own.sha256) {
            // A peer that refused its own build first may have ended the session before every claim arrived; this
            // node refuses its own build whatever the others sent.
            exchanged = []
        }
        for (peer, words) in exchanged {
            let claim = try BuildMeasurement.Signed(words: words, from: peer)
            let member = cts.parties.computing[peer]
            guard let certificate = transport.peerCertificate(peer),
                let key = P256.Signing.PublicKey(certificate.publicKey),
                ES256.isValid(
                    p1363: claim.signature, for: claim.measurement.statement(task: task, member: member),
                    publicKey: key)
            else {
                throw MPCError(
                    .protocolViolation,
                    "computing party \(peer) (\(member)) sent a build measurement its node key did not sign")
            }
            claims.append((peer, claim))
        }
        claims.sort { $0.0 < $1.0 }
        let refused = allowed.isEmpty ? [] : claims.filter { !allowed.contains($0.1.measurement.sha256) }
        let parties: [JSONValue] = claims.map { party, claim in
            .object(
                JSONObject([
                    ("member", .string(cts.parties.computing[party].rawValue)),
                    ("sha256", .string(claim.measurement.sha256)), ("version", .string(claim.measurement.version)),
                    ("commit", .string(claim.measurement.commit)),
                    ("signature", .string(Base64URL.encode(claim.signature))),
                ]))
        }
        _ = try await self.log.append(
            try AuditDraft(
                actor: self.system, action: .buildsMeasured, taskID: task,
                details: [
                    "outcome": .string(refused.isEmpty ? "accepted" : "refused"),
                    "allowed": .string(allowed.isEmpty ? "any build" : allowed.joined(separator: ", ")),
                    "parties": .array(parties),
                ]))
        if let (index, claim) = refused.first {
            throw MPCError(
                .protocolViolation,
                "computing party \(index) (\(cts.parties.computing[index])) runs consort \(claim.measurement.version) "
                    + "(commit \(claim.measurement.commit)) with measurement \(claim.measurement.sha256), "
                    + "which the task's engine.measurements do not allow")
        }
    }
}
