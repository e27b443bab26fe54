import ConsortPKI
import ConsortSpec
import Foundation
import X509

/// An MPC session's transcript as a computing party's node records it in its audit log (`transcript` in the details
/// of `compute.finished` and `compute.aborted`): its party index and, per peer, the digests of what it sent and
/// received and the peer's signed end-of-session claim (`EndClaim`).
///
/// `findings` compares the records of one task's nodes pair by pair. A pair whose records differ is in dispute: over
/// mutual TLS nothing changes on the way, so one of the two deviated, and their logs alone cannot say which. Blame is
/// conclusive only where a party contradicts its own signature: its log states one digest, and the claim it signed and
/// sent its peer (recorded in the peer's log, verified under its node certificate) another. A claim in a log that its
/// supposed signer's key does not verify blames the node whose log holds it.
package struct TranscriptRecord: Sendable, Equatable {
    package struct Link: Sendable, Equatable {
        package var peer: Int
        package var sent: String
        package var received: String
        /// The peer's claim: digests and signature, hex (absent when the peer sent none).
        package var claimSent: String?
        package var claimReceived: String?
        package var claimSignature: String?

        package init(
            peer: Int, sent: String, received: String, claimSent: String?, claimReceived: String?,
            claimSignature: String?
        ) {
            self.peer = peer
            self.sent = sent
            self.received = received
            self.claimSent = claimSent
            self.claimReceived = claimReceived
            self.claimSignature = claimSignature
        }
    }

    package var party: Int
    package var links: [Link]

    package init(party: Int, links: [Link]) {
        self.party = party
        self.links = links
    }

    package var json: JSONValue {
        .object(
            JSONObject([
                ("party", .number(JSONNumber(Int64(self.party)))),
                (
                    "links",
                    .array(
                        self.links.map { link in
                            var fields: [(String, JSONValue)] = [
                                ("peer", .number(JSONNumber(Int64(link.peer)))), ("sent", .string(link.sent)),
                                ("received", .string(link.received)),
                            ]
                            if let sent = link.claimSent, let received = link.claimReceived,
                                let signature = link.claimSignature
                            {
                                fields += [
                                    ("claimSent", .string(sent)), ("claimReceived", .string(received)),
                                    ("claimSignature", .string(signature)),
                                ]
                            }
                            return .object(JSONObject(fields))
                        })
                ),
            ]))
    }

    package init?(json: JSONValue) {
        guard case .object(let object) = json, case .number(let party)? = object["party"],
            let partyIndex = party.integer, case .array(let links)? = object["links"]
        else { return nil }
        var parsed: [Link] = []
        for link in links {
            guard case .object(let fields) = link, case .number(let peer)? = fields["peer"],
                let peerIndex = peer.integer,
                case .string(let sent)? = fields["sent"], case .string(let received)? = fields["received"]
            else { return nil }
            func text(_ key: String) -> String? {
                if case .string(let value)? = fields[key] { return value }
                return nil
            }
            parsed.append(
                Link(
                    peer: Int(peerIndex), sent: sent, received: received, claimSent: text("claimSent"),
                    claimReceived: text("claimReceived"), claimSignature: text("claimSignature")))
        }
        self.init(party: Int(partyIndex), links: parsed)
    }

    /// What one task's records say about each pair of its computing parties: nothing when they agree; otherwise who
    /// is blamed, or which pair is in dispute. `nodes` maps each node (member) to its record and its node certificate.
    package static func findings(
        task: String, nodes: [String: (record: TranscriptRecord, certificate: Certificate)]
    ) -> [String] {
        let session = Array(Hex.decode(task)?.prefix(16) ?? [])
        let byParty = Dictionary(nodes.map { ($0.value.record.party, ($0.key, $0.value)) }) { first, _ in first }
        var findings: [String] = []
        for (party, (member, node)) in byParty.sorted(by: { $0.key < $1.key }) {
            for link in node.record.links where link.peer > party {
                guard let (peerMember, peerNode) = byParty[link.peer],
                    let back = peerNode.record.links.first(where: { $0.peer == party })
                else { continue }
                let name = "\(member) (party \(party))"
                let peerName = "\(peerMember) (party \(link.peer))"
                if let blamed = Self.contradiction(
                    holder: (name, link), signer: (peerName, back, peerNode.certificate), session: session,
                    from: link.peer, to: party)
                    ?? Self.contradiction(
                        holder: (peerName, back), signer: (name, link, node.certificate), session: session,
                        from: party, to: link.peer)
                {
                    findings.append("task \(task.prefix(16))…: BLAMED: \(blamed)")
                } else if link.sent != back.received || link.received != back.sent {
                    let what = link.sent != back.received ? "\(name) sent \(peerName)" : "\(peerName) sent \(name)"
                    findings.append(
                        "task \(task.prefix(16))…: DISPUTE: \(name) and \(peerName) disagree on what \(what): one of "
                            + "the two deviated, and neither log can show which")
                }
            }
        }
        return findings
    }

    /// Conclusive blame from the claim `holder` recorded of `signer`: forged (blames the holder), or contradicting
    /// the signer's own log (blames the signer).
    private static func contradiction(
        holder: (name: String, link: Link), signer: (name: String, link: Link, certificate: Certificate),
        session: [UInt8], from: Int, to: Int
    ) -> String? {
        guard let sent = holder.link.claimSent.flatMap(Hex.decode),
            let received = holder.link.claimReceived.flatMap(Hex.decode),
            let signature = holder.link.claimSignature.flatMap(Hex.decode)
        else { return nil }
        let claim = EndClaim(sent: sent, received: received, signature: signature)
        guard claim.isSigned(by: signer.certificate, session: session, from: from, to: to) else {
            return "\(holder.name)'s log holds a claim of \(signer.name) that \(signer.name)'s node never signed"
        }
        if Hex.encode(sent) != signer.link.sent || Hex.encode(received) != signer.link.received {
            return "\(signer.name) signed one record of its messages with \(holder.name) and logged another"
        }
        return nil
    }
}
