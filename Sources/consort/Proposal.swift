import ArgumentParser
import ConsortClient
import ConsortQuery
import ConsortSpec
import Foundation

/// `consort proposal`: the control plane on the member's own node — draft a CTS, review it, sign or reject it; the
/// nodes carry proposals and signatures between members, and the proposer's node submits the CTS once every required
/// member has signed.
struct ProposalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proposal",
        abstract: "Draft, review, sign or reject a CTS on your member's own node.",
        discussion: """
            A proposal lives on the proposer's node, which sends each version to the nodes of every member the CTS
            names; each member signs or rejects it on its own node. A new version voids the signatures of the one
            before. Once every required member has signed, the proposer's node submits the CTS to the computing
            parties.
            """,
        subcommands: [Create.self, List.self, Show.self, Sign.self, Reject.self]
    )

    /// `--proposal ID`.
    struct Selection: ParsableArguments {
        @Option(help: ArgumentHelp("The proposal id (32 hex digits, from 'proposal list').", valueName: "id"))
        var proposal: String
    }

    static func describe(_ view: ProposalView) {
        print("proposal \(view.proposal): \(view.id) \"\(view.title)\", version \(view.version) by \(view.proposer)")
        print("  state:    \(view.state.rawValue)\(view.task.map { " as task \($0)" } ?? "")")
        print("  hash:     \(view.hash) (the task id once submitted)")
        print("  signed:   \(view.signed.isEmpty ? "nobody yet" : view.signed.joined(separator: ", "))")
        if !view.missing.isEmpty { print("  missing:  \(view.missing.joined(separator: ", "))") }
        for rejection in view.rejections {
            print(
                "  rejected: version \(rejection.version) by \(rejection.member) at \(rejection.at): \(rejection.reason)"
            )
        }
        if let submission = view.submission { print("  not yet accepted by every computing party: \(submission)") }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Propose a CTS (or, with --revises, a new version of your proposal) to the members it names.",
            discussion: """
                Example:
                  consort proposal create household.json --identity north/signer \\
                    --directory directory.json --root op/operator.pem
                """
        )

        @Argument(help: "The CTS (JSON, unsigned).") var file: String
        @Option(help: ArgumentHelp("Make a new version of this proposal.", valueName: "id")) var revises: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let bytes: [UInt8]
            do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file))) } catch {
                throw ValidationError("cannot read the CTS '\(file)': \(error.localizedDescription)")
            }
            let answer = try await client.client().propose(bytes, revising: self.revises)
            guard let view = answer.value else { throw CommandFailure("\(answer.member): \(answer.refusal)") }
            ProposalCommand.describe(view)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "The proposals on your member's node, newest first; those waiting for your member's signature marked.")

        @OptionGroup var client: ClientOptions

        func run() async throws {
            let answer = try await client.client().proposals()
            guard let list = answer.value else { throw CommandFailure("\(answer.member): \(answer.refusal)") }
            print("\(list.node): \(list.proposals.count) proposal\(list.proposals.count == 1 ? "" : "s")")
            for view in list.proposals {
                let waiting = view.state == .open && view.missing.contains(list.node) ? "  <- waiting for you" : ""
                print(
                    "  \(view.proposal)  v\(view.version)  \(view.state.rawValue)  \(view.id)  \(view.title)\(waiting)")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A proposal: its state and signatures, and the CTS of its current version as a signer reviews it."
        )

        @OptionGroup var selection: Selection
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let (view, cts) = try await client.client().proposalDraft(selection.proposal)
            ProposalCommand.describe(view)
            print("")
            let (specification, diagnostics) = try SpecificationDocument(bytes: cts).specification(
                engines: EngineRegistry.shared)
            guard let specification else {
                diagnostics.forEach { print($0) }
                throw CommandFailure("version \(view.version) is not a readable CTS")
            }
            print(await SignerReview.text(specification, taskID: view.hash, diagnostics: diagnostics))
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign the current version with your identity, on your member's node.",
            discussion: """
                Give --hash (from 'proposal show') to sign only the version you reviewed: if the proposal has changed
                since, nothing is signed.

                Example:
                  consort proposal sign --proposal 5e0c… --hash 3f2a… --identity south/signer \\
                    --directory directory.json --root op/operator.pem
                """
        )

        @OptionGroup var selection: Selection
        @Option(help: ArgumentHelp("The version's hash you reviewed.", valueName: "sha256")) var hash: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let answer: NodeAnswer<ProposalView>
            do {
                answer = try await client.client().signProposal(selection.proposal, expectedHash: self.hash)
            } catch let error as ClientError { throw CommandFailure(error.message) }
            guard let view = answer.value else { throw CommandFailure("\(answer.member): \(answer.refusal)") }
            ProposalCommand.describe(view)
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reject the current version for your member, saying why.")

        @OptionGroup var selection: Selection
        @Option(help: "Why (the proposer and every named member see it).") var reason: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let answer = try await client.client().rejectProposal(selection.proposal, reason: self.reason)
            guard let view = answer.value else { throw CommandFailure("\(answer.member): \(answer.refusal)") }
            ProposalCommand.describe(view)
        }
    }
}
