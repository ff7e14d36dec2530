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

    /// Bytes handed out since the last trim (``noteTransientBytes(_:)``).
    private static let pending = TransientByteCounter()
    /// Transient bytes after which ``noteTransientBytes(_:)`` trims.
    public static let transientBytesPerTrim = 32 << 20

    /// Counts `bytes` of short-lived allocations (served events on their way to a socket) and
    /// trims in the background once ``transientBytesPerTrim`` have passed since the last
    /// trim: many threads' small allocations freed in arenas other threads rarely reuse
    /// otherwise stay resident (at a million events, serving while re-syncing, glibc held
    /// 58-90 MB of freed memory).
    public static func noteTransientBytes(_ bytes: Int) {
        if pending.add(bytes, threshold: transientBytesPerTrim) { trimInBackground() }
    }
}

/// A lock-protected byte count that resets when it crosses a threshold.
final class TransientByteCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = 0

    /// Adds `n`; true (and back to zero) when the total reached `threshold`.
    func add(_ n: Int, threshold: Int) -> Bool {
        lock.withLock {
            bytes += n
            guard bytes >= threshold else { return false }
            bytes = 0
            return true
        }
    }
}
