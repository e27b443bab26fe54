import ConsortMPC
import ConsortPKI
import ConsortSpec
import Crypto
import Foundation
import Synchronization
import X509

/// What each computing party sent to and received from every peer in one session, as running SHA-256 digests, and the
/// peers' signed claims of the same (issue 15, blame; `Specs/wire-protocol.md`, "Transcripts").
///
/// Every message is hashed as its element count (u64, little-endian) followed by its elements, in the order sent on
/// the connection. At the end of a session each party sends every peer, in its `end` frame, a claim signed with its
/// node key: the digests of what it sent that peer and of what it received from it. A party that finds a peer's claim
/// different from its own record fails the session with both named: over mutual TLS nothing changes on the way, so
/// one of the two deviated, and neither can be told from the other by a third party (the pair is in dispute). Each
/// node writes the whole transcript with the peers' signatures to its audit log, where `audit verify` cross-checks the
/// nodes' records.
package struct SessionTranscript: Sendable, Equatable {
    /// One peer's part.
    package struct Link: Sendable, Equatable {
        package var peer: Int
        /// This party's digests of what it sent the peer and received from it.
        package var sent: [UInt8]
        package var received: [UInt8]
        /// The peer's claim, signed with its node key.
        package var claim: EndClaim?
    }

    package var party: Int
    package var links: [Link]
}

/// The running digests of one party's session, per peer and direction (a lock each: a send and a receive hash at
/// once).
final class TranscriptHashes: Sendable {
    private final class Running: Sendable {
        let hasher = Mutex(SHA256())
    }

    private let sentTo: [Running]
    private let receivedFrom: [Running]

    init(parties: Int) {
        self.sentTo = (0..<parties).map { _ in Running() }
        self.receivedFrom = (0..<parties).map { _ in Running() }
    }

    func sent(_ words: [UInt64], to peer: Int) { self.sentTo[peer].hasher.withLock { Self.update(&$0, words) } }

    func received(_ words: [UInt64], from peer: Int) {
        self.receivedFrom[peer].hasher.withLock { Self.update(&$0, words) }
    }

    /// The digests so far (the hashers go on).
    func digests(_ peer: Int) -> (sent: [UInt8], received: [UInt8]) {
        (
            self.sentTo[peer].hasher.withLock { Array($0.finalize()) },
            self.receivedFrom[peer].hasher.withLock { Array($0.finalize()) }
        )
    }

    private static func update(_ hasher: inout SHA256, _ words: [UInt64]) {
        withUnsafeBytes(of: UInt64(words.count).littleEndian) { hasher.update(bufferPointer: $0) }
        #if _endian(little)
            words.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        #else
            words.map(\.littleEndian).withUnsafeBytes { hasher.update(bufferPointer: $0) }
        #endif
    }
}
