import ArgumentParser
import ConsortPKI

/// `--identity DIR/NAME` (DIR/NAME.key + DIR/NAME.pem), or `--key` and `--cert`: how every command takes an identity.
struct IdentityOptions: ParsableArguments {
    @Option(
        help: "The identity to act as: DIR/NAME means DIR/NAME.key and DIR/NAME.pem (as 'consort pki issue' writes).")
    var identity: String?

    @Option(help: "The private key (PEM), with --cert instead of --identity.")
    var key: String?

    @Option(help: "The certificate chain (PEM, leaf first), with --key instead of --identity.")
    var cert: String?

    func load() throws -> SigningIdentity {
        switch (identity, key, cert) {
        case (let path?, nil, nil):
            return try SigningIdentity.load(identity: path)
        case (nil, let key?, let cert?):
            return try SigningIdentity.load(key: key, certificate: cert)
        default:
            throw ValidationError("give --identity DIR/NAME, or both --key FILE and --cert FILE")
        }
    }
}
