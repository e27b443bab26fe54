import ConsortSpec
import Synchronization

/// The member directory a running node enforces: read at start-up and replaced by `DirectoryRefresher` when the
/// operator installs a newer one, so every check reads the one in force at that moment (a removed member is refused
/// from its next request or connection on).
package final class DirectoryInForce: Sendable {
    private let directory: Mutex<MemberDirectory>

    package init(_ directory: MemberDirectory) { self.directory = Mutex(directory) }

    package var current: MemberDirectory { self.directory.withLock { $0 } }

    func replace(with directory: MemberDirectory) { self.directory.withLock { $0 = directory } }
}
