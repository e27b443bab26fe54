import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Test hook: with `CONSORT_TEST_EXIT_WITH_PARENT=1` (set by the test harness for every process it starts), a
/// long-running command exits once the process that started it is gone, so a crashed test run leaves no nodes
/// burning the machine's CPU for the tests after it.
enum ParentWatch {
    static func startIfRequested() {
        guard ProcessInfo.processInfo.environment["CONSORT_TEST_EXIT_WITH_PARENT"] == "1" else { return }
        let parent = getppid()
        let thread = Thread {
            while getppid() == parent { Thread.sleep(forTimeInterval: 1) }
            FileHandle.standardError.write(Data("the process that started this one is gone: exiting\n".utf8))
            _exit(70)
        }
        thread.start()
    }
}
