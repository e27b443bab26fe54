/// A command that ran and failed (a node refused, a computation aborted, a log does not verify): reported as
/// "Error: …" with exit status 1 — unlike `ValidationError`, which is for bad arguments and adds the usage text.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
