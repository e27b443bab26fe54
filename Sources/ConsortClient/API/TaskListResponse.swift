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
    /// The last task of this page when there are more: ask again with `after` set to it.
    package var next: String?

    package init(node: String, tasks: [Item], next: String? = nil) {
        self.node = node
        self.tasks = tasks
        self.next = next
    }
}
