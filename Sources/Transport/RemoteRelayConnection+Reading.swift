import Health
import Nostr
import Reconcile

extension RemoteRelayConnection {
    /// Becomes the reader of `session` (a session this actor's `connect()` returned): a
    /// previous read loop is stopped, a fresh router takes this session's replies, and the
    /// returned channel sends requests on it. Every event published until the session ends
    /// carries `generation`.
    ///
    /// Messages are handled in batches of whatever is already buffered (up to 1,000 events):
    /// the batch's events are ingested first (one commit, parallel verification), then every
    /// message is reported and routed in arrival order, so an EOSE always follows its events
    /// into the store and a burst of small responses shares one commit.
    public func startReading(_ session: any RelaySession, generation: Int, sink: any InboundEventSink,
                             signals: (any RelaySignalObserving)?, now: @escaping @Sendable () -> Double) -> RoutedRelayChannel {
        reader?.cancel()
        router?.closeAll()
        let router = SubscriptionRouter()
        self.router = router
        let url = self.url
        let events = eventsContinuation
        let key = url.description
        reader = Task {
            let messages = session.messages
            var pending: [RelayMessage] = []
            var pendingEvents = 0
            func flush() async {
                guard !pending.isEmpty else { return }
                let delivered = pending.compactMap { m -> NostrEvent? in if case .event(_, let e) = m { return e } else { return nil } }
                if !delivered.isEmpty {
                    let saved = await sink.ingest(delivered, from: url)
                    if saved > 0 { events.yield(.delivered(generation: generation, saved: saved)) }
                }
                for message in pending {
                    switch message {
                    case .notice(let text):
                        await signals?.observeNotice(key, text: text)
                    case .closed(_, let reason):
                        await signals?.observeClosed(key, reason: reason)
                    case .ok(_, let accepted, let text):
                        await signals?.observeOK(key, accepted: accepted, message: text)
                    default:
                        break
                    }
                    let routed = router.route(message, now: now())
                    if !routed, case .closed(let id, let reason) = message {
                        events.yield(.subscriptionClosed(generation: generation, subscriptionID: id, reason: reason))
                    }
                }
                pending.removeAll(keepingCapacity: true)
                pendingEvents = 0
            }
            for await message in messages {
                pending.append(message)
                if case .event = message { pendingEvents += 1 }
                if messages.bufferedCount == 0 || pendingEvents >= 1_000 { await flush() }
            }
            await flush()
            router.closeAll()
            events.yield(.ended(generation: generation, reason: await session.closeReason()))
        }
        return RoutedRelayChannel(session: session, router: router, now: now)
    }

    /// Times out requests of the reading session that waited past their deadline.
    public func expireRequests(now: Double) {
        router?.expire(now: now)
    }

    /// Stops reading and ends ``events`` (the relay is no longer tracked, or the node stops):
    /// requests still waiting are told the connection is gone.
    public func finish() async {
        router?.closeAll()
        router = nil
        reader?.cancel()
        reader = nil
        await disconnect()
        eventsContinuation.finish()
    }
}
