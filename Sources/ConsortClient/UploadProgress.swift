/// Hears how an upload to several nodes at once is going (the CLI draws a progress bar; a web UI could stream it).
package protocol UploadProgress: Sendable {
    /// `total` bytes are to go, in `parts` transfers (one per node).
    func start(total: Int, parts: Int)
    /// Transfer `part` has handed `sent` bytes to the socket so far.
    func update(part: Int, sent: Int)
    func finish()
}
