import ConsortAudit
import Logging
import ServiceLifecycle

/// Audit entries raised where nothing can await an append (TLS handshake callbacks, the MPC listener): queued here
/// and appended in order by this service. At shutdown it is the last service to stop, and it appends everything
/// still queued before it returns, so `node.stopped` comes after them.
package final class AuditQueue: Service {
    private let log: AuditLog
    private let logger: Logger
    private let stream: AsyncStream<AuditDraft>
    private let continuation: AsyncStream<AuditDraft>.Continuation

    package init(log: AuditLog, logger: Logger) {
        self.log = log
        self.logger = logger
        (self.stream, self.continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Queues an entry (never blocks, callable from any thread).
    package func enqueue(_ draft: AuditDraft) {
        self.continuation.yield(draft)
    }

    package func run() async throws {
        // The stream ends at graceful shutdown; what was queued by then is still appended.
        await withGracefulShutdownHandler {
            for await draft in self.stream {
                do { _ = try await self.log.append(draft) } catch {
                    self.logger.error("cannot append an audit entry: \(error)")
                }
            }
        } onGracefulShutdown: {
            self.continuation.finish()
        }
    }
}
