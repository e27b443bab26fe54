import ConsortClient
import ConsortPKI
import Foundation
import Hummingbird

/// A request's context: Hummingbird's core storage, the peer's verified identity (from the TLS handshake of its
/// connection) and the API's JSON encoding.
package struct NodeRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package let peer: VerifiedIdentity?

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peer = PeerRegistry.shared.identity(of: source.channel)
    }

    /// The verified caller; `MemberMiddleware` has already refused requests without one.
    package var caller: VerifiedIdentity {
        get throws {
            guard let peer = self.peer else { throw NodeError(.unauthenticated, "no verified client certificate") }
            return peer
        }
    }

    /// The API's JSON (`APIJSON`): compact, keys sorted, slashes as they are.
    package var responseEncoder: JSONEncoder { APIJSON.encoder() }
}
