import ArgumentParser
import ConsortMPC

/// The entry point: the allocator's settings first, then the command line.
@main
enum Main {
    static func main() async {
        // glibc gives every new thread an arena of its own on its first allocation, so the settings must come before
        // the concurrency pool's first thread (measured: made inside a command's `run`, a third more page faults).
        MemoryTuning.keepLargeAllocations()
        await Consort.main()
    }
}
