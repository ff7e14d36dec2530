#if canImport(Glibc)
import Glibc
#endif

/// glibc's malloc raises its mmap threshold dynamically (up to 32 MiB) after large blocks are
/// freed; from then on large arrays (negentropy listings, query pages) come from the heap
/// arenas and their memory is not given back to the system when freed, so RSS stays at its
/// peak after a burst of sessions ends. A fixed threshold keeps every block of 256 KiB and
/// more in its own mapping, returned to the system on free.
public enum AllocatorTuning {
    static let mmapThreshold: Int32 = 256 * 1024
    /// `M_MMAP_THRESHOLD` of <malloc.h> (not exported by the Glibc module).
    static let mMmapThreshold: Int32 = -3

    /// Applies the fixed threshold (once, at start-up); true when glibc took it.
    @discardableResult
    public static func apply() -> Bool {
        #if canImport(Glibc)
        // mallopt is looked up at run time: <malloc.h> is not part of the Glibc module.
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        return unsafeBitCast(symbol, to: Mallopt.self)(mMmapThreshold, mmapThreshold) == 1
        #else
        return false
        #endif
    }
}
