import Nostr
import Reconcile

/// One connection's requests as a reconciler uses them: the session to send on and the
/// router that hands each subscription its replies.
public struct RoutedRelayChannel: HistoricRelayChannel {
    public let session: any RelaySession
    public let router: SubscriptionRouter
    let now: @Sendable () -> Double

    public init(session: any RelaySession, router: SubscriptionRouter, now: @escaping @Sendable () -> Double) {
        self.session = session
        self.router = router
        self.now = now
    }

    public func register(_ subscriptionID: String, timeout: Double) -> AsyncStream<RequestDelivery> {
        router.register(subscriptionID, now: now(), timeout: timeout)
    }

    public func unregister(_ subscriptionID: String) {
        router.unregister(subscriptionID)
    }

    public func send(_ message: ClientMessage) async throws {
        try await session.send(message)
    }

    public func negentropyLink(timeout: Double) -> any NegentropyLink {
        RoutedNegentropyLink(session: session, router: router, timeout: timeout, now: now)
    }
}
