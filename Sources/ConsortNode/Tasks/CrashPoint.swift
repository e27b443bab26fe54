import Foundation

/// Named points where a test can have the node process killed with SIGKILL, to prove that a crash at that point
/// loses nothing (`CONSORT_TEST_CRASH_AT=<name>` in the node's environment). Unset in production, where `reached`
/// is one comparison against nil.
enum CrashPoint: String {
    case uploadBeforeShares = "upload.before-shares"
    case uploadAfterShares = "upload.after-shares"
    case uploadAfterRecord = "upload.after-record"

    private static let armed = ProcessInfo.processInfo.environment["CONSORT_TEST_CRASH_AT"].flatMap(
        Self.init(rawValue:))

    func reached() {
        if Self.armed == self { kill(getpid(), SIGKILL) }
    }
}
