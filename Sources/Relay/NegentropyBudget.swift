import Synchronization

/// The node-wide bound on served negentropy listings: items held by all open sessions of
/// all connections together (each item costs about 41 bytes in a sealed session). A NEG-OPEN
/// that would pass it is answered `NEG-ERR "rate-limited: ..."`; the items come back when
/// the session ends (NEG-CLOSE, idle expiry, error, replacement, connection end).
public final class NegentropyBudget: Sendable {
    /// Most items held at once.
    public let capacity: Int
    private let used = Mutex(0)

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// Items held by open sessions now.
    public var inUse: Int { used.withLock { $0 } }

    /// Items a new listing may take now.
    var available: Int { used.withLock { max(0, capacity - $0) } }

    /// Takes `count` items, or nil when they do not fit. The reservation gives them back
    /// when it is released (its last reference goes away).
    func reserve(_ count: Int) -> NegentropyReservation? {
        let ok = used.withLock { used -> Bool in
            guard used + count <= capacity else { return false }
            used += count
            return true
        }
        return ok ? NegentropyReservation(budget: self, count: count) : nil
    }

    fileprivate func release(_ count: Int) {
        used.withLock { $0 -= count }
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
