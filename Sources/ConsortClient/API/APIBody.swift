/// A body of a node API answer: JSON (`APIJSON`) for the API's types, the bytes themselves for signed documents
/// and result shares (`RawBody`).
package protocol APIBody: Sendable {
    static func decode(_ bytes: [UInt8]) throws -> Self
}

extension APIBody where Self: Decodable {
    package static func decode(_ bytes: [UInt8]) throws -> Self { try APIJSON.decode(Self.self, from: bytes) }
}

/// A body taken as it is: a signed document, a result's shares, an audit log.
package struct RawBody: APIBody {
    package var bytes: [UInt8]

    package static func decode(_ bytes: [UInt8]) throws -> RawBody { RawBody(bytes: bytes) }
}

extension HealthResponse: APIBody {}
extension TaskAccepted: APIBody {}
extension TaskStatusResponse: APIBody {}
extension TaskListResponse: APIBody {}
extension WitnessedResponse: APIBody {}
extension HaltResponse: APIBody {}
extension UploadResponse: APIBody {}
