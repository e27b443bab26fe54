import ConsortClient
import Hummingbird

// The API's answer types (shared with the client, `Specs/openapi.yaml`) are Hummingbird responses, encoded with the
// request context's encoder.
extension HealthResponse: ResponseEncodable {}
extension TaskAccepted: ResponseEncodable {}
extension TaskListResponse: ResponseEncodable {}
extension WitnessedResponse: ResponseEncodable {}
extension TaskStatusResponse: ResponseEncodable {}
extension HaltResponse: ResponseEncodable {}
extension UploadResponse: ResponseEncodable {}
extension ProposalView: ResponseEncodable {}
extension ProposalListResponse: ResponseEncodable {}
