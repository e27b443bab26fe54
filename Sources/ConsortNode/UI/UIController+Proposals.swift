import ConsortAudit
import ConsortClient
import ConsortPKI
import Foundation
import Hummingbird

/// Drafting a proposal in the browser: a CTS pasted or chosen as a file, checked by the node as any proposal, sent
/// to every member it names.
extension UIController {
    @Sendable func newProposal(_ request: Request, context: UIRequestContext) async throws -> Response {
        let (_, session) = try await self.require(request, role: .signer)
        return self.page("new_proposal", self.frame("New proposal", session))
    }

    /// The draft as a file chosen in the form (multipart) or pasted into it.
    @Sendable func propose(_ request: Request, context: UIRequestContext) async throws -> Response {
        var form: [String: String]
        if let type = request.headers[.contentType], let boundary = MultipartForm.boundary(type) {
            let parsed = try? MultipartForm(try await request.body.collect(upTo: 1 << 20), boundary: boundary)
            form = (parsed?.fields ?? [:]).mapValues(\.text)
            if let file = form["file"], !file.isEmpty { form["cts"] = file }
        } else {
            form = try await Self.form(request, context: context, limit: 1 << 20)
        }
        let (_, session) = try await self.require(request, form: form, role: .signer)
        let text = form["cts"] ?? ""
        do {
            let view = try await self.proposals.create(Array(text.utf8), by: self.actor(session.user))
            return Self.redirect("/proposals/\(view.proposal)")
        } catch let error as NodeError {
            return self.page(
                "new_proposal", self.frame("New proposal", session) + ["error": error.message, "cts": text],
                status: error.status)
        }
    }
}
