import ConsortClient
import ConsortPKI
import ConsortSpec
import Foundation
import Synchronization

/// The overview's list of tasks: every task of this member the computing parties hold (asked with one of the
/// member's identities on this node), each with its state at every node and what it waits for from the signed-in
/// person (an upload, a result to collect). A task's CTS never changes (its id is its hash), so each is fetched once.
final class UITaskOverview: Sendable {
    struct Row {
        var task: String
        var title: String
        var states: String
        var waiting: String?
    }

    private let specifications = Mutex<[String: ComputationTaskSpecification]>([:])

    func rows(
        client: MemberClient, member: MemberID, roles: Set<InternalRole>, uploads: String
    ) async -> (rows: [Row], problems: [String]) {
        let answers = await client.list(limit: 100)
        var states: [String: [(MemberID, TaskLifecycle.State)]] = [:]
        var titles: [String: String] = [:]
        var order: [String] = []
        var problems: [String] = []
        for answer in answers {
            guard let list = answer.value else {
                problems.append("\(answer.member): \(answer.refusal)")
                continue
            }
            for item in list.tasks {
                if states[item.task] == nil { order.append(item.task) }
                states[item.task, default: []].append((answer.member, item.state))
                titles[item.task] = item.title
            }
        }
        var rows: [Row] = []
        for task in order {
            let perNode = states[task] ?? []
            let distinct = Set(perNode.map(\.1))
            let text =
                distinct.count == 1
                ? distinct.first!.rawValue : perNode.map { "\($0.0): \($0.1.rawValue)" }.joined(separator: ", ")
            var waiting: String?
            if distinct.contains(where: { !$0.isTerminal }), let cts = await self.specification(task, client) {
                waiting = Self.waiting(
                    cts, task: task, states: distinct, member: member, roles: roles, uploads: uploads)
            }
            rows.append(Row(task: task, title: titles[task] ?? task, states: text, waiting: waiting))
        }
        // Those waiting for this person first.
        return (rows.filter { $0.waiting != nil } + rows.filter { $0.waiting == nil }, problems)
    }

    /// What the task waits for from a person with `roles` of `member`, if anything.
    static func waiting(
        _ cts: ComputationTaskSpecification, task: String, states: Set<TaskLifecycle.State>, member: MemberID,
        roles: Set<InternalRole>, uploads: String
    ) -> String? {
        if roles.contains(.uploader), states.contains(where: { [.accepted, .collectingInputs].contains($0) }) {
            let tables = cts.parties.inputs.filter { $0.member == member }.map(\.table).filter {
                (try? UploadJournal(root: uploads, task: task, table: $0).upload()) == nil
            }
            if !tables.isEmpty { return "your upload of \(tables.joined(separator: ", ")) is needed" }
        }
        if roles.contains(.analyst), cts.parties.outputs.contains(member), states.contains(.resultsReady) {
            return "the result is ready for you"
        }
        return nil
    }

    private func specification(_ task: String, _ client: MemberClient) async -> ComputationTaskSpecification? {
        if let known = self.specifications.withLock({ $0[task] }) { return known }
        guard let cts = try? await client.specification(task: task) else { return nil }
        self.specifications.withLock {
            if $0.count >= 1_000 { $0.removeAll() }
            $0[task] = cts
        }
        return cts
    }
}
