import X509

/// A policy failure with a `PKIError` code, carried through swift-certificates' string-only `PolicyFailureReason`.
///
/// Our policies encode `code` and message into the reason; `ChainVerifier` decodes them to build a `PKIError`.
enum PolicyFailure {
    private static let separator: Character = "\u{1F}"

    static func result(_ code: PKIError.Code, _ message: String) -> PolicyEvaluationResult {
        .failsToMeetPolicy(reason: "\(code.description)\(separator)\(message)")
    }

    static func decode(_ reason: String) -> (code: String, message: String)? {
        guard let index = reason.firstIndex(of: separator) else { return nil }
        return (String(reason[..<index]), String(reason[reason.index(after: index)...]))
    }
}

extension Certificate {
    /// A short name for messages: the subject, or the serial number if the subject is empty.
    var displayName: String {
        let subject = self.subject.description
        return subject.isEmpty ? "certificate with serial \(self.serialNumber)" : "'\(subject)'"
    }
}
