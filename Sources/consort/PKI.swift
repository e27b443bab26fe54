import ArgumentParser

struct PKI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "The consortium's certificate authority: operator root, member CAs, node and user certificates.",
        discussion: """
            The operator creates the root and admits members; each member generates its own key and request, and
            once admitted issues its own node and user certificates.

            A whole consortium from scratch:
              consort pki init-operator --name "Statistics Consortium" --out op
              consort pki request --member nso-north --name "Statistics North" --out north
              consort pki admit --operator op --csr north/member.csr --roles input \\
                --out north/member.pem
              consort pki issue --ca north --kind node --name node \\
                --dns node.north.example --out north
              consort pki issue --ca north --kind user --name alice --role signer \\
                --out north
              consort pki verify --root op/operator.pem --cert north/alice.pem \\
                --usage signer
            """,
        subcommands: [
            InitOperator.self, Request.self, Admit.self, Issue.self, Revoke.self, CRL.self, Verify.self, Limbo.self,
        ]
    )
}
