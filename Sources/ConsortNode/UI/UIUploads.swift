import ConsortClient
import Foundation
import Synchronization

/// Uploads started from the web UI, while they run and after: each one's progress (bytes handed to each computing
/// party's connection) for the progress page, and its outcome. The signed receipts themselves are kept in the node's
/// upload journal (`UploadJournal`, under `DATA/ui-uploads`), which outlives a restart; this is only the live view.
final class UIUploads: Sendable {
    struct Job: Sendable {
        var task: String
        var table: String
        var rows: Int
        var total = 0
        var sent: [Int] = []
        var finished = false
        /// One line per computing party once finished: its receipt, or why it has none.
        var lines: [String] = []
        var failures = 0

        var percent: Int { self.total == 0 ? 0 : min(100, self.sent.reduce(0, +) * 100 / self.total) }
    }

    private let jobs = Mutex<[String: Job]>([:])

    func start(task: String, table: String, rows: Int) -> String {
        let id = UUID().uuidString.lowercased()
        self.jobs.withLock { $0[id] = Job(task: task, table: table, rows: rows) }
        return id
    }

    func job(_ id: String) -> Job? { self.jobs.withLock { $0[id] } }

    func finish(_ id: String, lines: [String], failures: Int) {
        self.jobs.withLock {
            $0[id]?.finished = true
            $0[id]?.lines = lines
            $0[id]?.failures = failures
        }
    }

    /// The `UploadProgress` of job `id`.
    func progress(_ id: String) -> some UploadProgress { Progress(uploads: self, id: id) }

    private struct Progress: UploadProgress {
        let uploads: UIUploads
        let id: String

        func start(total: Int, parts: Int) {
            self.uploads.jobs.withLock {
                $0[self.id]?.total = total
                $0[self.id]?.sent = Array(repeating: 0, count: parts)
            }
        }

        func update(part: Int, sent: Int) {
            self.uploads.jobs.withLock {
                guard let job = $0[self.id], job.sent.indices.contains(part) else { return }
                $0[self.id]?.sent[part] = sent
            }
        }

        func finish() {}
    }
}
