import ConsortPKI
import ConsortSpec
import Foundation

/// Who may call what on a node: `Policies/access-policy.json`, compiled in. Each request is checked against its rule
/// using only the caller's verified certificate and the operator-signed directory.
package struct AccessPolicy: Sendable, Decodable {
    package enum Operation: String, Sendable, Decodable, CaseIterable {
        case health
        case metrics
        case taskSubmit = "task.submit"
        case taskList = "task.list"
        case taskRead = "task.read"
        case taskHalt = "task.halt"
        case inputUpload = "input.upload"
        case outputFetch = "output.fetch"
        case auditRead = "audit.read"
        case auditHead = "audit.head"
        case auditWitness = "audit.witness"
        case auditWitnessed = "audit.witnessed"
        case proposalCreate = "proposal.create"
        case proposalRead = "proposal.read"
        case proposalSign = "proposal.sign"
        case proposalSync = "proposal.sync"
        case proposalReply = "proposal.reply"
    }

    /// How the caller's member must relate to the node or the task.
    package enum Relation: String, Sendable, Decodable {
        case none
        case nodeMember = "node-member"
        case taskParty = "task-party"
        case inputParty = "input-party"
        case outputParty = "output-party"
    }

    package struct Rule: Sendable, Decodable {
        package var operation: Operation
        package var method: String
        package var paths: [String]
        package var kinds: [ConsortIdentity.Kind]
        package var internalRoles: [InternalRole]
        package var memberRoles: [MemberRole]
        package var relation: Relation
        package var why: String
    }

    package var consort: String
    package var rules: [Rule]

    /// The policy every node enforces.
    package static let builtIn: AccessPolicy = {
        do { return try AccessPolicy(json: PackageResources.access_policy_json) } catch {
            fatalError("the compiled-in access policy is invalid: \(error)")
        }
    }()

    package init(json: [UInt8]) throws {
        self = try JSONDecoder().decode(AccessPolicy.self, from: Data(json))
        guard self.consort == "access-policy/1" else {
            throw NodeError(.configuration, "unknown access policy format '\(self.consort)'")
        }
        let missing = Set(Operation.allCases).subtracting(self.rules.map(\.operation))
        guard missing.isEmpty, self.rules.count == Operation.allCases.count else {
            throw NodeError(
                .configuration,
                "the access policy must have exactly one rule per operation (missing: \(missing.map(\.rawValue).sorted()))"
            )
        }
    }

    package func rule(_ operation: Operation) -> Rule { self.rules.first { $0.operation == operation }! }

    /// Throws `forbidden`, naming the unmet requirement, unless `caller` may perform `operation`. `task` (and `table`)
    /// are required for the task relations, unless `ignoringRelation` (a first check before the task is known).
    package func authorize(
        _ operation: Operation, _ caller: VerifiedIdentity, directory: MemberDirectory, node: MemberID,
        task: ComputationTaskSpecification? = nil, table: String? = nil, ignoringRelation: Bool = false
    ) throws {
        let rule = self.rule(operation)
        guard let member = caller.memberID, let entry = directory.member(member) else {
            throw NodeError(.forbidden, "\(caller.subject) is not a member of this consortium's directory")
        }
        guard rule.kinds.contains(caller.kind) else {
            throw NodeError(
                .forbidden,
                "\(operation.rawValue) needs a \(rule.kinds.map(\.rawValue).joined(separator: " or ")) certificate, not a \(caller.kind) certificate"
            )
        }
        // Internal roles are users' (a node certificate has none; its member's roles and the relation decide).
        guard
            rule.internalRoles.isEmpty || caller.kind != .user
                || !caller.internalRoles.isDisjoint(with: rule.internalRoles)
        else {
            throw NodeError(
                .forbidden,
                "\(operation.rawValue) needs a \(member) user with the role \(rule.internalRoles.map(\.rawValue).joined(separator: " or "))"
            )
        }
        switch ignoringRelation ? .none : rule.relation {
        case .none:
            break
        case .nodeMember:
            guard member == node else {
                throw NodeError(.forbidden, "\(operation.rawValue) is only for \(node), which runs this node")
            }
        case .taskParty:
            guard let task, task.parties.allMembers.contains(member) else {
                throw NodeError(.forbidden, "\(member) is not a party of task \(task?.id ?? "?")")
            }
        case .inputParty:
            guard let task, task.parties.inputs.contains(where: { $0.member == member && $0.table == table }) else {
                throw NodeError(
                    .forbidden, "\(member) is not an input party for table '\(table ?? "?")' of task \(task?.id ?? "?")"
                )
            }
        case .outputParty:
            guard let task, task.parties.outputs.contains(member) else {
                throw NodeError(.forbidden, "\(member) is not an output party of task \(task?.id ?? "?")")
            }
        }
        guard rule.memberRoles.isEmpty || !entry.roles.isDisjoint(with: rule.memberRoles) else {
            throw NodeError(
                .forbidden,
                "\(operation.rawValue) is for \(rule.memberRoles.map(\.rawValue).joined(separator: " or ")) members; the directory gives \(member) \(entry.roles.map(\.rawValue).sorted().joined(separator: ", "))"
            )
        }
    }
}
