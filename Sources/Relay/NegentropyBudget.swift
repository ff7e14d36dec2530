import Store
import Synchronization

/// The node-wide bound on served negentropy listings: items held by all open sessions of
/// all connections together (each item costs about 41 bytes in a sealed session). A NEG-OPEN
/// that would pass it is answered `NEG-ERR "rate-limited: ..."`; the items come back when
/// the session ends (NEG-CLOSE, idle expiry, error, replacement, connection end).
///
/// Once every listing is released after the node held at least `trimAfterItems` items, the
/// freed heap is handed back to the system (`trim`, glibc's `malloc_trim` in production):
/// glibc otherwise keeps the freed arena memory, and RSS stays at the storm's peak (measured:
/// 208 MB before 50 x 8 NEG-OPENs on 100,000 events, 603 MB at the peak, 532 MB 30 s after
/// every connection closed, with 72 MB of it in use).
public final class NegentropyBudget: Sendable {
    /// Most items held at once.
    public let capacity: Int
    /// Peak items since the last trim that make the next drain trim the heap.
    public let trimAfterItems: Int
    private struct Counts {
        var used = 0
        var peakSinceTrim = 0
    }
    private let counts = Mutex(Counts())
    private let trim: @Sendable () -> Void

    public init(capacity: Int, trimAfterItems: Int = 500_000, trim: @escaping @Sendable () -> Void = HeapTrim.trimInBackground) {
        self.capacity = capacity
        self.trimAfterItems = trimAfterItems
        self.trim = trim
    }

    /// Items held by open sessions now.
    public var inUse: Int { counts.withLock { $0.used } }

    /// Items a new listing may take now.
    var available: Int { counts.withLock { max(0, capacity - $0.used) } }

    /// Takes `count` items, or nil when they do not fit. The reservation gives them back
    /// when it is released (its last reference goes away).
    func reserve(_ count: Int) -> NegentropyReservation? {
        let ok = counts.withLock { c -> Bool in
            guard c.used + count <= capacity else { return false }
            c.used += count
            c.peakSinceTrim = max(c.peakSinceTrim, c.used)
            return true
        }
        return ok ? NegentropyReservation(budget: self, count: count) : nil
    }

    fileprivate func release(_ count: Int) {
        let drained = counts.withLock { c -> Bool in
            c.used -= count
            guard c.used == 0, c.peakSinceTrim >= trimAfterItems else { return false }
            c.peakSinceTrim = 0
            return true
        }
        if drained { trim() }
    }
}

/// Items of one session's listing held in the `NegentropyBudget`; returned on deinit, so a
/// session dropped on any path (including a preparation nobody consumed) gives them back.
final class NegentropyReservation: Sendable {
    let budget: NegentropyBudget
    let count: Int

    fileprivate init(budget: NegentropyBudget, count: Int) {
        self.budget = budget
        self.count = count
    }

    deinit { budget.release(count) }
}
