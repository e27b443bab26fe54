import ConsortSpec

/// `POST /v1/tasks/{id}/halt`: the task's state after the halt.
package struct HaltResponse: Codable, Sendable, Equatable {
    package var state: TaskLifecycle.State

    package init(state: TaskLifecycle.State) { self.state = state }
}
