import Foundation
import Testing

@testable import ConsortClient

/// What `pullAudit` reads of the logs it pulled to decide whether one must be pulled again.
@Suite("Audit pull")
struct AuditPullTests {
    @Test("the largest countersigned size per node, from checkpoint.witnessed entries only")
    func countersignedSizes() {
        func line(_ action: String, _ details: String) -> String {
            let escaped = details.replacingOccurrences(of: "\"", with: "\\\"")
            return #"{"seq":1,"action":"\#(action)","task":null,"details":"\#(escaped)"}"#
        }
        let witness = [
            line("checkpoint.witnessed", #"{"node":"cp-b","size":40,"root":"ab"}"#),
            line("checkpoint.witnessed", #"{"node":"cp-b","size":44,"root":"cd"}"#),
            line("task.accepted", #"{"note":"checkpoint.witnessed","node":"cp-a","size":99}"#),
        ].joined(separator: "\n")
        let other = [
            line("checkpoint.witnessed", #"{"node":"cp-a","size":7,"root":"ef"}"#),
            line("checkpoint.signed", #"{"node":"cp-c","size":12,"root":"01"}"#),
            "not json at all, checkpoint.witnessed",
        ].joined(separator: "\n")
        #expect(MemberClient.countersignedSizes(in: [witness, other]) == ["cp-b": 44, "cp-a": 7])
        #expect(MemberClient.countersignedSizes(in: []) == [:])
    }
}
