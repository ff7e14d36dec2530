/// A counting semaphore for async code: at most `capacity` holders at once, waiters served
/// in arrival order. Bounds the NIP-77 sessions the node runs against one relay, so its own
/// concurrency never trips the relay's session limit (a `blocked:` refusal would otherwise
/// be taken for a result-size cap and bisected).
public actor AsyncSlots {
    public let capacity: Int
    private var inUse = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextWaiterID = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Takes a slot, waiting for one if all are held. Returns false (no slot taken) when the
    /// waiting task is cancelled.
    public func acquire() async -> Bool {
        if inUse < capacity {
            inUse += 1
            return true
        }
        nextWaiterID += 1
        let id = nextWaiterID
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: false)
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    /// Gives a slot back (to the longest waiter, if any).
    public func release() {
        if waiters.isEmpty {
            inUse = max(0, inUse - 1)
        } else {
            waiters.removeFirst().continuation.resume(returning: true)
        }
    }

    /// Slots held right now.
    public var held: Int { inUse }

    private func cancelWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: false)
    }
}
