import ArgumentParser

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The tamper-evident audit trail: export, checkpoint and verify a node's log.",
        discussion: """
            Every node appends each security-relevant event to its own signed hash chain; checkpoints (Merkle roots
            signed by the node and countersigned by its peers) make a rewritten or truncated history detectable.

            Examples:
              consort audit checkpoint --store sqlite:cp-a/data/audit.db \\
                --identity cp-a/node --out cp-a.checkpoint.json
              consort audit export --store sqlite:cp-a/data/audit.db --out cp-a.jsonl
              consort audit verify --file cp-a.jsonl --cert cp-a/node.pem \\
                --root op/operator.pem --checkpoint cp-a.checkpoint.json
            """,
        subcommands: [Export.self, Checkpoint.self, Verify.self, Pull.self]
    )
}
