/// Every error the node API returns: `{"error": code, "message": text}`.
package struct ErrorResponse: Codable, Sendable, Equatable {
    package var error: String
    package var message: String

    package init(error: String, message: String) {
        self.error = error
        self.message = message
    }
}
