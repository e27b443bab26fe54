import ConsortSpec
import Testing

@Suite("Task lifecycle state machine")
struct LifecycleTests {
    typealias L = TaskLifecycle

    /// Every legal transition: (from, event, actors allowed, to). Anything not listed is illegal.
    static let legal: [(L.State, L.Event, Set<L.Actor>, L.State)] = [
        (.draft, .signaturesCompleted, [.system], .signed),
        (.signed, .acceptedByComputingParties, [.computingParty], .accepted),
        (.accepted, .inputsOpened, [.system], .collectingInputs),
        (.collectingInputs, .computationStarted, [.computingParty, .system], .computing),
        (.computing, .computationFinished, [.computingParty], .resultsReady),
        (.resultsReady, .outputsDelivered, [.system], .completed),
        (.completed, .purged, [.system], .purged),
        (.halted, .purged, [.system], .purged),
        (.expired, .purged, [.system], .purged),
        (.aborted, .purged, [.system], .purged),
        (.signed, .halt, [.haltAuthority, .computingParty], .halted),
        (.accepted, .halt, [.haltAuthority, .computingParty], .halted),
        (.collectingInputs, .halt, [.haltAuthority, .computingParty], .halted),
        (.computing, .halt, [.haltAuthority, .computingParty], .halted),
        (.resultsReady, .halt, [.haltAuthority, .computingParty], .halted),
        (.signed, .expire, [.system], .expired),
        (.accepted, .expire, [.system], .expired),
        (.collectingInputs, .expire, [.system], .expired),
        (.computing, .expire, [.system], .expired),
        (.computing, .abort, [.computingParty, .system], .aborted),
        (.accepted, .abort, [.computingParty], .aborted),
        (.collectingInputs, .abort, [.computingParty], .aborted),
    ]

    @Test("every (state, event, actor) triple: legal ones lead to the right state, all others are refused")
    func exhaustive() {
        var legalCount = 0
        var illegalCount = 0
        for state in L.State.allCases {
            for event in L.Event.allCases {
                let rule = Self.legal.first { $0.0 == state && $0.1 == event }
                for actor in L.Actor.allCases {
                    if let rule, rule.2.contains(actor) {
                        #expect(
                            (try? L.next(after: state, on: event, by: actor)) == rule.3,
                            "\(state) --\(event)/\(actor)-->")
                        legalCount += 1
                    } else {
                        #expect(
                            throws: SpecError(.illegalTransition, ""), "\(state) --\(event)/\(actor)--> must be refused"
                        ) {
                            try L.next(after: state, on: event, by: actor)
                        }
                        illegalCount += 1
                    }
                }
            }
        }
        let expected = Self.legal.reduce(0) { $0 + $1.2.count }
        #expect(legalCount == expected)
        #expect(illegalCount == L.State.allCases.count * L.Event.allCases.count * L.Actor.allCases.count - expected)
    }

    @Test("refusals say why")
    func messages() {
        do {
            _ = try L.next(after: .computing, on: .halt, by: .inputParty)
            Issue.record("an input party not in mayHalt halted a task")
        } catch let error as SpecError {
            #expect(error.message.contains("halt-authority"))
        } catch {
            Issue.record("unexpected \(error)")
        }
        do {
            _ = try L.next(after: .completed, on: .halt, by: .haltAuthority)
            Issue.record("a completed task was halted")
        } catch let error as SpecError {
            #expect(error.message.contains("completed"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a halted, expired or aborted task never reaches results")
    func terminal() {
        for state in [L.State.halted, .expired, .aborted, .purged] {
            for event in L.Event.allCases {
                for actor in L.Actor.allCases {
                    let next = try? L.next(after: state, on: event, by: actor)
                    #expect(next == nil || next == .purged)
                }
            }
        }
    }
}
