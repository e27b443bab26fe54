import Logging

/// The node's logging metadata keys, in one place (Hummingbird keeps `hb.*` the same way). Values are identifiers
/// only: never shares, keys, rows or document bodies.
package enum LoggingMetadata {
    /// The task (SHA-256 of its CTS).
    package static let task = "consort.task"
    /// The verified identity of the caller or MPC peer.
    package static let peer = "consort.peer"
    /// This node's party index in an MPC session.
    package static let party = "consort.party"
}

extension Logger {
    /// A child logger with `value` under `key`.
    package func with(_ key: String, _ value: String) -> Logger {
        var logger = self
        logger[metadataKey: key] = .string(value)
        return logger
    }
}
