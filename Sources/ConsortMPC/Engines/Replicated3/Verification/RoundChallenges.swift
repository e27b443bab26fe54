/// Carries each later round's challenges from a party's proof loop to the background folds of its two verifier roles
/// (`verifyProductStatements`, `verifyAndGates`): the folds take them as they come and end when the rounds do — or
/// when the session does, since `finish` also runs on the way out of a failed proof.
struct RoundChallenges: Sendable {
    let ofNext = AsyncStream.makeStream(of: [UInt64].self)
    let ofPrevious = AsyncStream.makeStream(of: [UInt64].self)

    func send(ofNext: [UInt64], ofPrevious: [UInt64]) {
        self.ofNext.continuation.yield(ofNext)
        self.ofPrevious.continuation.yield(ofPrevious)
    }

    func finish() {
        self.ofNext.continuation.finish()
        self.ofPrevious.continuation.finish()
    }
}
