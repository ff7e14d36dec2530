import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Hands freed heap memory back to the system (glibc's `malloc_trim`), where glibc would
/// keep it for later allocations: after a burst of big, short-lived allocations (negentropy
/// listings) RSS then falls back instead of staying at the burst's peak.
public enum HeapTrim {
    /// `malloc_trim(0)` now; false where it is not available. It walks the heap (a few
    /// milliseconds for hundreds of megabytes), so call it off latency-sensitive paths.
    @discardableResult
    public static func trim() -> Bool {
        #if canImport(Glibc)
        // Looked up at run time: <malloc.h> is not part of the Glibc module.
        guard let symbol = dlsym(nil, "malloc_trim") else { return false }
        typealias MallocTrim = @convention(c) (Int) -> Int32
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        return true
        #else
        return false
        #endif
    }

    /// ``trim()`` on a background thread (the caller may hold a lock or run on a
    /// connection's task).
    @Sendable public static func trimInBackground() {
        Thread.detachNewThread { trim() }
    }
}
