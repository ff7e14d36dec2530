/// First-come, first-served mutual exclusion for async code: one holder at a time, waiters
/// resumed in arrival order.
///
/// The WebSocket session holds it across compressing and writing one message. With
/// permessage-deflate and context takeover, every message is compressed against the ones
/// before it, so two sends that each compress and then write can put message 2 on the wire
/// before message 1: the peer inflates garbage (seen as "could not parse message" NEG-ERRs
/// and REQs that never got an EOSE, when a batch ran NIP-77 sessions side by side).
actor AsyncSerialGate {
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init() {}

    /// Waits until the gate is free, then holds it.
    func acquire() async {
        guard held else {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    /// Hands the gate to the next waiter, or frees it.
    func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}
