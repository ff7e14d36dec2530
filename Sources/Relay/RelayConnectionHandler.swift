import Nostr
import Store

/// The protocol state of one client connection: open subscriptions and negentropy
/// sessions. It turns each input into actions and performs no I/O of its own except store
/// reads and writes, so tests can drive it message by message.
///
/// Confined to its connection's task; not shared.
final class RelayConnectionHandler {
    let relay: NostrRelay
    private(set) var subscriptions: [String: [Filter]] = [:]
    var negentropySessions: [String: NegentropySessionState] = [:]
    var negentropyGeneration = 0
    /// The connection's write budget (nil: unlimited).
    let budget: ConnectionBudget?
    /// The store's publish count when the connection's live feed was subscribed: live event
    /// number n on that feed is the store's publish number `liveFeedStart + n`.
    let liveFeedStart: Int
    /// Live events taken from the feed so far.
    private var liveEventsSeen = 0
    /// Per subscription, how many live events of the feed were published before its stored
    /// results were read: those are among the stored results when they match, so live
    /// delivery skips them (no event twice on one subscription).
    private var liveSkipThrough: [String: Int] = [:]

    init(relay: NostrRelay, budget: ConnectionBudget? = nil, liveFeedStart: Int? = nil) {
        self.relay = relay
        self.budget = budget
        self.liveFeedStart = liveFeedStart ?? relay.store.publishedEventCount
    }

    var limits: RelayLimits { relay.limits }

    /// Processes one input and returns what to send, in order.
    func handle(_ input: RelayConnectionInput) -> [RelayConnectionAction] {
        let expired = expireIdleNegentropySessions()
        return expired.isEmpty ? dispatch(input) : expired + dispatch(input)
    }

    private func dispatch(_ input: RelayConnectionInput) -> [RelayConnectionAction] {
        switch input {
        case .tick: return []
        case .text(let text): return handleText(text)
        case .binary: return [.send(.notice(MachineReadablePrefix.invalid.message("binary messages are not supported")))]
        case .live(let event): return deliverLive(event)
        case .liveOverflow:
            return [.send(.notice(MachineReadablePrefix.error.message("connection too slow for live events, closing"))),
                    .close(reason: "too slow")]
        case .negentropyOpened(let id, let generation, let opening):
            return negentropyOpened(subscriptionID: id, generation: generation, opening: opening)
        }
    }

    /// Closes everything (connection end); returns nothing to send.
    func shutdown() {
        for _ in negentropySessions.values { relay.observer?.negentropySessionClosed() }
        negentropySessions.removeAll()
        subscriptions.removeAll()
        liveSkipThrough.removeAll()
    }

    // MARK: - Client messages

    private func handleText(_ text: String) -> [RelayConnectionAction] {
        if text.utf8.count > limits.maxMessageLength {
            return [.send(.notice(MachineReadablePrefix.invalid.message("message larger than \(limits.maxMessageLength) bytes")))]
        }
        let message: ClientMessage
        do {
            message = try ClientMessage.decode(text)
        } catch {
            relay.observer?.messageReceived(verb: "INVALID")
            return [.send(refusal(for: error))]
        }
        switch message {
        case .event(let event):
            relay.observer?.messageReceived(verb: "EVENT")
            // Charged before verification and storage: a flood costs the node only parsing.
            if let budget, let scope = budget.chargeEvent() {
                relay.observer?.eventRateLimited(scope: scope)
                return [.send(.ok(eventID: event.id, accepted: false, message: budget.refusalMessage(scope)))]
            }
            let result = relay.ingestor.ingest(event)
            relay.observer?.eventIngested(kind: event.kind, result: result)
            let answer = result.okAnswer
            return [.send(.ok(eventID: event.id, accepted: answer.accepted, message: answer.message))]
        case .req(let id, let filters):
            relay.observer?.messageReceived(verb: "REQ")
            return openSubscription(id, filters)
        case .close(let id):
            relay.observer?.messageReceived(verb: "CLOSE")
            subscriptions[id] = nil
            liveSkipThrough[id] = nil
            return []
        case .count(let id, let filters):
            relay.observer?.messageReceived(verb: "COUNT")
            guard filters.count <= limits.maxFilters else {
                return [.send(.closed(subscriptionID: id, message: MachineReadablePrefix.invalid.message("too many filters (max \(limits.maxFilters))")))]
            }
            do {
                return [.send(.count(subscriptionID: id, count: try relay.store.count(filters)))]
            } catch {
                logStoreError(error, "answering COUNT \(id)")
                return [.send(.closed(subscriptionID: id, message: MachineReadablePrefix.error.message("could not count events")))]
            }
        case .auth(let event):
            relay.observer?.messageReceived(verb: "AUTH")
            return [.send(.ok(eventID: event.id, accepted: false, message: MachineReadablePrefix.restricted.message("authentication is not supported")))]
        case .negOpen(let id, let filter, let initial):
            relay.observer?.messageReceived(verb: "NEG-OPEN")
            return openNegentropy(id, filter: filter, initialMessage: initial)
        case .negMsg(let id, let msg):
            relay.observer?.messageReceived(verb: "NEG-MSG")
            return continueNegentropy(id, message: msg)
        case .negClose(let id):
            relay.observer?.messageReceived(verb: "NEG-CLOSE")
            if negentropySessions.removeValue(forKey: id) != nil { relay.observer?.negentropySessionClosed() }
            return []
        }
    }

    /// The protocol-correct answer to an undecodable message.
    private func refusal(for error: ClientMessageDecodingError) -> RelayMessage {
        switch error {
        case .invalidEvent(let eventID?, _):
            return .ok(eventID: eventID, accepted: false, message: MachineReadablePrefix.invalid.message(error.reason))
        case .invalidSubscription(_, let subscriptionID?, _):
            return .closed(subscriptionID: subscriptionID, message: MachineReadablePrefix.invalid.message(error.reason))
        case .invalidNegentropy(_, let subscriptionID?, _):
            return .negErr(subscriptionID: subscriptionID, reason: MachineReadablePrefix.invalid.message(error.reason), maxRecords: nil)
        default:
            return .notice(MachineReadablePrefix.invalid.message(error.reason))
        }
    }

    private func openSubscription(_ id: String, _ filters: [Filter]) -> [RelayConnectionAction] {
        guard filters.count <= limits.maxFilters else {
            return [.send(.closed(subscriptionID: id, message: MachineReadablePrefix.invalid.message("too many filters (max \(limits.maxFilters))")))]
        }
        guard subscriptions[id] != nil || subscriptions.count < limits.maxSubscriptions else {
            return [.send(.closed(subscriptionID: id, message: MachineReadablePrefix.blocked.message("too many open subscriptions (max \(limits.maxSubscriptions))")))]
        }
        // Apply the default limit where none is given; the store caps at maxLimit.
        let bounded = filters.map { f -> Filter in
            var f = f
            if f.limit == nil { f.limit = limits.defaultLimit }
            return f
        }
        // Live matching uses the filters as sent; `limit` plays no part in matching. Live
        // events wait in the connection's channel until the stored ones and EOSE are written.
        subscriptions[id] = filters
        liveSkipThrough[id] = relay.store.publishedEventCount - liveFeedStart
        return [.sendStored(subscriptionID: id, cursor: StoredEventCursor(filters: bounded, maxLimit: limits.maxLimit))]
    }

    /// Reading a REQ's stored events failed: the subscription ends.
    func storedEventsFailed(subscriptionID id: String, error: StoreError) -> RelayMessage {
        subscriptions[id] = nil
        liveSkipThrough[id] = nil
        logStoreError(error, "answering REQ \(id)")
        return .closed(subscriptionID: id, message: MachineReadablePrefix.error.message("could not query events"))
    }

    private func deliverLive(_ event: NostrEvent) -> [RelayConnectionAction] {
        liveEventsSeen += 1
        var actions: [RelayConnectionAction] = []
        // The JSON the store saved for the event (`insert` stores `jsonText`), made once.
        var json: String?
        for (id, filters) in subscriptions where filters.contains(where: { $0.matches(event) }) {
            if let skip = liveSkipThrough[id], liveEventsSeen <= skip { continue }
            let text = json ?? event.jsonText
            json = text
            actions.append(.sendText(RelayMessage.eventPrefix(subscriptionID: id) + text + "]"))
        }
        return actions
    }
}
