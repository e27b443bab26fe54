import ConsortSpec

/// `GET /v1/tasks`: the tasks of the caller's member that this node holds.
package struct TaskListResponse: Codable, Sendable, Equatable {
    /// One task: its id, the CTS's id and title, this node's state.
    package struct Item: Codable, Sendable, Equatable {
        package var task: String
        package var id: String
        package var title: String
        package var state: TaskLifecycle.State

        package init(task: String, id: String, title: String, state: TaskLifecycle.State) {
            self.task = task
            self.id = id
            self.title = title
            self.state = state
        }
    }

    package var node: String
    package var tasks: [Item]

    package init(node: String, tasks: [Item]) {
        self.node = node
        self.tasks = tasks
    }
}
