import ArgumentParser

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a complete consortium on this machine, end to end.",
        discussion: """
            Generates an operator, three computing parties, two input parties, an output party and an auditor with
            real certificates; starts the computing-party nodes on loopback over mutual TLS; signs, submits and runs an
            example task on synthetic data; prints the result and the audit verification.

            Example:
              swift run consort demo
            """
    )

    func run() async throws {
        print(
            """
            consort demo will: create the consortium PKI (operator root, member CAs, node and user certificates),
            start three computing-party nodes over mutual TLS, have every member sign an example task, upload
            secret-shared synthetic data from two statistics offices, compute under MPC, release the result to the
            output party and verify every node's audit trail.

            Not available yet: the service nodes are still being built. Today you can already run the PKI, e.g.
              consort pki init-operator --name "Demo Operator" --out /tmp/consort/operator
            """
        )
        throw ExitCode(1)
    }
}
