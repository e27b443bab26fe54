/// A share envelope checked as its bytes arrive, without holding them: its frame and header as soon as they are in
/// (handed to `check`, so that shares for another task or table are refused before the rest is read), its payload's
/// length at the end. What a node runs over an upload it streams to disk.
package struct ShareEnvelopeStream {
    private let bytesPerElement: Int
    private let check: (ShareEnvelope.Header) throws -> Void
    /// The frame and header, until they are complete.
    private var prefix: [UInt8] = []
    /// The header, once read and checked.
    package private(set) var header: ShareEnvelope.Header?
    private var payloadBytes = 0

    /// `check` refuses a header that is not the one expected; `bytesPerElement` is the engine's share size.
    package init(bytesPerElement: Int, check: @escaping (ShareEnvelope.Header) throws -> Void) {
        self.bytesPerElement = bytesPerElement
        self.check = check
    }

    /// The next bytes of the envelope.
    package mutating func consume(_ bytes: UnsafeRawBufferPointer) throws {
        guard self.header == nil else {
            self.payloadBytes += bytes.count
            return
        }
        self.prefix.append(contentsOf: bytes)
        guard let (header, payloadStart) = try ShareEnvelope.frame(self.prefix) else { return }
        try self.check(header)
        self.header = header
        self.payloadBytes = self.prefix.count - payloadStart
        self.prefix = []
    }

    /// The envelope's header once all its bytes are in: refused if it ended early or its payload is not exactly the
    /// shares its header announces.
    package func finish() throws -> ShareEnvelope.Header {
        guard let header = self.header else {
            if self.prefix.count < ShareEnvelope.prefixLength { throw ShareEnvelope.notAnEnvelope }
            throw MPCError(.invalidArgument, "the share envelope's header runs past its end")
        }
        let (perColumn, overflow1) = header.rows.multipliedReportingOverflow(by: self.bytesPerElement)
        let (expected, overflow2) = perColumn.multipliedReportingOverflow(by: header.columns.count)
        guard !overflow1, !overflow2, self.payloadBytes == expected else {
            throw MPCError(
                .invalidArgument,
                "the share envelope holds \(self.payloadBytes) bytes of shares where \(header.columns.count) columns "
                    + "of \(header.rows) rows take \(overflow1 || overflow2 ? "more than can be held" : "\(expected)")")
        }
        return header
    }
}
