#if canImport(Glibc)
    import Glibc
#endif

/// Allocator settings for processes that run MPC sessions.
package enum MemoryTuning {
    /// MPC moves vectors of many megabytes. glibc serves such blocks with fresh `mmap`s and returns them on free, so
    /// every round pays for zeroing new pages (measured: a 1M-element multiplication spends more time in page faults
    /// than in arithmetic until glibc's adaptive threshold catches up). Keeping blocks up to 512 MiB in the heap and
    /// not trimming it lets a node reuse its memory across rounds. One arena: the threads of Swift's cooperative pool
    /// would otherwise allocate from secondary arenas, whose heaps are at most 64 MiB, so every larger vector became
    /// a fresh mapping again (a profile of the 10^6-row join had 14 % of its time zeroing new pages). glibc picks a
    /// thread's arena at its first allocation, so this must run before any other thread starts (`consort`'s `main`).
    package static func keepLargeAllocations() {
        #if canImport(Glibc)
            // mallopt is not exported by the Glibc module (malloc.h); look it up by name.
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX
            let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3, arenaMax: Int32 = -8
            _ = mallopt(arenaMax, 1)
            _ = mallopt(mmapThreshold, 512 << 20)
            _ = mallopt(trimThreshold, 1 << 30)
        #endif
    }

    /// Hands the free pages inside the heap back to the kernel (`malloc_trim`): what `keepLargeAllocations` keeps for
    /// the next round of the same size is held until the process ends otherwise. Called where a long computation
    /// has just let go of whole columns and what comes next allocates differently (after a sort's shuffle and its
    /// permutation, around the join's scan), so a node's resident memory follows what it holds instead of its largest
    /// moment so far. Not per round: pages handed back are faulted in again (a trim per quicksort level cost ~10 % of
    /// the Students-and-Taxes join's MPC time).
    package static func releaseFreeMemory() {
        #if canImport(Glibc)
            typealias MallocTrim = @convention(c) (Int) -> Int32
            guard let symbol = Self.mallocTrim else { return }
            _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }

    #if canImport(Glibc)
        private nonisolated(unsafe) static let mallocTrim = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim")
    #endif
}
