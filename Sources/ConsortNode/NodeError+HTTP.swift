import ConsortClient
import Hummingbird

/// A node error is its own HTTP response: the status its code means and `{"error", "message"}` (`ErrorResponse`).
extension NodeError: HTTPResponseError {
    package var status: HTTPResponse.Status {
        switch self.code {
        case .invalidRequest: return .badRequest
        case .unauthenticated: return .unauthorized
        case .forbidden: return .forbidden
        case .notFound: return .notFound
        case .methodNotAllowed: return .methodNotAllowed
        case .conflict: return .conflict
        case .deadlinePassed: return .unprocessableContent
        case .tooLarge: return .contentTooLarge
        case .unavailable: return .serviceUnavailable
        default: return .internalServerError
        }
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try APIJSON.encode(ErrorResponse(error: self.code.description, message: self.message))
        return Response(
            status: self.status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
