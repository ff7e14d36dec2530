import Nostr
import Reconcile
import Transport

/// A `NegentropyLink` over a relay session whose inbound messages are routed by a
/// `SubscriptionRouter`. The router's per-session streams are registered by the caller for
/// every subscription id the session may use (`runSplitting` uses `<id>`, `<id>-2`, ...), so
/// this link registers lazily when a NEG-OPEN goes out.
final class RoutedNegentropyLink: NegentropyLink, @unchecked Sendable {
    private let session: any RelaySession
    private let router: SubscriptionRouter
    private let now: @Sendable () -> Double
    private let timeout: Double
    private var current: AsyncStream<SubscriptionRouter.Delivery>.AsyncIterator?
    private var currentID: String?

    init(session: any RelaySession, router: SubscriptionRouter, timeout: Double, now: @escaping @Sendable () -> Double) {
        self.session = session
        self.router = router
        self.timeout = timeout
        self.now = now
    }

    func send(_ message: ClientMessage) async throws {
        switch message {
        case .negOpen(let id, _, _):
            if let old = currentID, old != id { router.unregister(old) }
            // Register before sending, so a fast reply cannot slip past; marked and sent under
            // the gate, so a refusal NOTICE reaches the session whose NEG-OPEN went first.
            current = router.register(id, now: now(), timeout: timeout).makeAsyncIterator()
            currentID = id
            guard await router.negentropyOpenGate.acquire() else { throw TransportError.notConnected }
            router.markAwaitingFirstReply(id)
            do {
                try await session.send(message)
            } catch {
                await router.negentropyOpenGate.release()
                throw error
            }
            await router.negentropyOpenGate.release()
            return
        case .negClose(let id):
            try await session.send(message)
            router.unregister(id)
            if currentID == id { currentID = nil; current = nil }
            return
        default:
            break
        }
        try await session.send(message)
    }

    func next() async -> NegentropyLinkEvent? {
        guard var iterator = current else { return nil }
        defer { current = iterator }
        while let delivery = await iterator.next() {
            switch delivery {
            case .message(let m): return .message(m)
            case .timeout: return .idleTimeout
            case .disconnected: return nil
            }
        }
        return nil
    }

    func finish() {
        if let id = currentID { router.unregister(id) }
        currentID = nil
        current = nil
    }
}
