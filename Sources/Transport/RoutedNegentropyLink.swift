import Nostr
import Reconcile

/// A `NegentropyLink` over a relay session whose inbound messages are routed by a
/// `SubscriptionRouter`. The router's per-session streams are registered by the caller for
/// every subscription id the session may use (`runSplitting` uses `<id>`, `<id>-2`, ...), so
/// this link registers lazily when a NEG-OPEN goes out.
public final class RoutedNegentropyLink: NegentropyLink, @unchecked Sendable {
    private let session: any RelaySession
    private let router: SubscriptionRouter
    private let now: @Sendable () -> Double
    private let timeout: Double
    private var current: AsyncStream<SubscriptionRouter.Delivery>.AsyncIterator?
    private var currentID: String?

    public init(session: any RelaySession, router: SubscriptionRouter, timeout: Double, now: @escaping @Sendable () -> Double) {
        self.session = session
        self.router = router
        self.timeout = timeout
        self.now = now
    }

    /// Whether this link's NEG-OPEN holds the connection's open gate (until its first reply).
    private var holdsGate = false

    /// A NEG-OPEN waits for the connection's open gate and keeps it until its first reply
    /// (or the end of the session): relays answer a refused NEG-OPEN with a NOTICE, which
    /// names no session, and may answer accepted ones later (strfry computes them on another
    /// thread), so only one NEG-OPEN at a time may be waiting for its first reply for such a
    /// NOTICE to be matched to it. Sessions still run side by side after their first reply.
    public func send(_ message: ClientMessage) async throws {
        switch message {
        case .negOpen(let id, _, _):
            if let old = currentID, old != id { router.unregister(old) }
            // Register before sending, so a fast reply cannot slip past.
            current = router.register(id, now: now(), timeout: timeout).makeAsyncIterator()
            currentID = id
            await releaseGate()
            guard await router.negentropyOpenGate.acquire() else { throw TransportError.notConnected }
            holdsGate = true
            router.markAwaitingFirstReply(id)
            do {
                try await session.send(message)
            } catch {
                await releaseGate()
                throw error
            }
            return
        case .negClose(let id):
            await releaseGate()
            try await session.send(message)
            router.unregister(id)
            if currentID == id { currentID = nil; current = nil }
            return
        default:
            break
        }
        try await session.send(message)
    }

    public func next() async -> NegentropyLinkEvent? {
        guard var iterator = current else {
            await releaseGate()
            return nil
        }
        defer { current = iterator }
        // Whatever arrives first (a reply, a NOTICE, a timeout, the end) frees the gate.
        while let delivery = await iterator.next() {
            await releaseGate()
            switch delivery {
            case .message(let m): return .message(m)
            case .timeout: return .idleTimeout
            case .disconnected: return nil
            }
        }
        await releaseGate()
        return nil
    }

    /// Ends the link: unregisters its session and frees the gate.
    public func finish() async {
        await releaseGate()
        if let id = currentID { router.unregister(id) }
        currentID = nil
        current = nil
    }

    private func releaseGate() async {
        guard holdsGate else { return }
        holdsGate = false
        await router.negentropyOpenGate.release()
    }
}
