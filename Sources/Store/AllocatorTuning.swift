#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Two glibc malloc settings the node applies at start-up, both about memory freed but kept:
///
/// - **mmap threshold.** glibc raises its threshold dynamically (up to 32 MiB) after large
///   blocks are freed; from then on large arrays (negentropy listings, query pages) come
///   from the heap arenas and their memory is not given back to the system when freed, so
///   RSS stays at its peak after a burst of sessions ends. A fixed threshold keeps every
///   block of 256 KiB and more in its own mapping, returned to the system on free (and a
///   large block's pages cost memory only once written).
/// - **Arenas.** glibc gives each thread that meets lock contention an arena of its own, up
///   to 8 per core; the served path (NIO's event loops) and the sync engine (Swift's
///   cooperative pool) then free into arenas that other threads do not reuse. Two arenas:
///   at a million events the node serving read load while it re-syncs peaked at 327 and 360
///   MB with glibc's default and 305 MB with two (`docs/benchmarks.md`). An operator's own
///   `MALLOC_ARENA_MAX` is left as set.
public enum AllocatorTuning {
    static let mmapThreshold: Int32 = 256 * 1024
    static let arenas: Int32 = 2
    /// `M_MMAP_THRESHOLD` and `M_ARENA_MAX` of <malloc.h> (not exported by the Glibc module).
    static let mMmapThreshold: Int32 = -3
    static let mArenaMax: Int32 = -8

    /// Applies the settings (once, at start-up); true when glibc took them (the arena count
    /// counts as taken when the environment sets its own).
    @discardableResult
    public static func apply() -> Bool {
        #if canImport(Glibc)
        // mallopt is looked up at run time: <malloc.h> is not part of the Glibc module.
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let arenasTaken = ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] != nil || mallopt(mArenaMax, arenas) == 1
        return mallopt(mMmapThreshold, mmapThreshold) == 1 && arenasTaken
        #else
        return false
        #endif
    }
}
