/// The lifecycle of a task (docs/architecture.md §2) as a pure state machine: which event moves a task from which state, and who
/// may cause it. Nodes drive it and write every transition to the audit trail.
///
/// ```
/// draft → signed → accepted → collecting-inputs → computing → results-ready → completed → purged
///   live states (signed … results-ready) → halted;  signed … computing → expired;  computing → aborted
///   halted, expired, aborted → purged
/// ```
package enum TaskLifecycle {
    package enum State: String, CaseIterable, Hashable, Sendable, Codable {
        case draft
        case signed
        case accepted
        case collectingInputs = "collecting-inputs"
        case computing
        case resultsReady = "results-ready"
        case completed
        case purged
        case halted
        case expired
        case aborted

        /// States in which a task can still make progress (and therefore be halted).
        package var isLive: Bool {
            switch self {
            case .signed, .accepted, .collectingInputs, .computing, .resultsReady: return true
            default: return false
            }
        }

        /// States no event leaves except the final purge.
        package var isTerminal: Bool {
            switch self {
            case .completed, .halted, .expired, .aborted, .purged: return true
            default: return false
            }
        }
    }

    package enum Event: String, CaseIterable, Hashable, Sendable, Codable {
        /// Every required party has signed.
        case signaturesCompleted = "signatures-completed"
        /// Every computing party has accepted the CTS.
        case acceptedByComputingParties = "accepted-by-computing-parties"
        /// The node opens the input window.
        case inputsOpened = "inputs-opened"
        /// All inputs are in (or the input deadline passed) and the computing parties start the MPC.
        case computationStarted = "computation-started"
        /// The MPC finished and output shares are ready.
        case computationFinished = "computation-finished"
        /// Every output party fetched its shares, or the output deadline passed.
        case outputsDelivered = "outputs-delivered"
        /// All remaining task data is deleted.
        case purged
        /// A signed halt from a member allowed by `mayHalt`.
        case halt
        /// A deadline passed before the task reached the next stage.
        case expire
        /// The MPC failed or a peer was lost.
        case abort
    }

    /// Who causes an event; nodes establish it from verified certificates.
    package enum Actor: String, CaseIterable, Hashable, Sendable, Codable {
        /// The node itself (verification results, deadline watcher, retention purger).
        case system
        case computingParty = "computing-party"
        case inputParty = "input-party"
        case outputParty = "output-party"
        /// A member listed in `mayHalt`.
        case haltAuthority = "halt-authority"
        case auditor
    }

    /// The state `event` leads to from `state` when caused by `actor`, or an `illegalTransition` error that says why not.
    package static func next(after state: State, on event: Event, by actor: Actor) throws -> State {
        guard let (target, actors) = Self.rule(state, event) else {
            throw SpecError(
                .illegalTransition, "a task that is \(state.rawValue) cannot take the event \(event.rawValue)")
        }
        guard actors.contains(actor) else {
            let allowed = actors.map(\.rawValue).sorted().joined(separator: " or ")
            throw SpecError(
                .illegalTransition, "only the \(allowed) may cause \(event.rawValue); \(actor.rawValue) may not")
        }
        return target
    }

    /// The transition table: target state and the actors allowed to cause it.
    static func rule(_ state: State, _ event: Event) -> (State, Set<Actor>)? {
        switch (state, event) {
        case (.draft, .signaturesCompleted): return (.signed, [.system])
        case (.signed, .acceptedByComputingParties): return (.accepted, [.computingParty])
        case (.accepted, .inputsOpened): return (.collectingInputs, [.system])
        case (.collectingInputs, .computationStarted): return (.computing, [.computingParty, .system])
        case (.computing, .computationFinished): return (.resultsReady, [.computingParty])
        case (.resultsReady, .outputsDelivered): return (.completed, [.system])
        case (.completed, .purged), (.halted, .purged), (.expired, .purged), (.aborted, .purged):
            return (.purged, [.system])
        // A computing party reports a halt its peer missed while down (reconciliation): stopping is always safe.
        case (let live, .halt) where live.isLive: return (.halted, [.haltAuthority, .computingParty])
        case (.signed, .expire), (.accepted, .expire), (.collectingInputs, .expire), (.computing, .expire):
            return (.expired, [.system])
        case (.computing, .abort): return (.aborted, [.computingParty, .system])
        // The computation was aborted at the peers while this node was down, before it started computing.
        case (.accepted, .abort), (.collectingInputs, .abort): return (.aborted, [.computingParty])
        default: return nil
        }
    }
}
