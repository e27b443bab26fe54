import ConsortSpec

/// `GET /v1/tasks/{id}`: a task as one node knows it.
package struct TaskStatusResponse: Codable, Sendable, Equatable {
    package var task: String
    package var id: String
    package var state: TaskLifecycle.State
    package var node: String

    package init(task: String, id: String, state: TaskLifecycle.State, node: String) {
        self.task = task
        self.id = id
        self.state = state
        self.node = node
    }
}
