import ConsortSpec

/// `POST /v1/tasks`: the task id and this node's state of it.
package struct TaskAccepted: Codable, Sendable, Equatable {
    package var task: String
    package var state: TaskLifecycle.State

    package init(task: String, state: TaskLifecycle.State) {
        self.task = task
        self.state = state
    }
}
