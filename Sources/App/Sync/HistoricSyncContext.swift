import Foundation
import Nostr
import Reconcile
import Store
import Transport

/// Everything a historic batch task needs, captured once so the task never touches the
/// coordinator's state except through its actor methods.
struct HistoricSyncContext: Sendable {
    let relay: RelayURL
    let generation: Int
    let session: any RelaySession
    let router: SubscriptionRouter
    let store: any EventStore
    let rejected: RejectedEventsIndex
    let clock: any NodeClock
    let configuration: SyncConfiguration
    let coordinator: SyncCoordinator
    let subscriptionPrefix: String

    var now: Double { clock.now() }

    /// Local negentropy items for a filter: the real store (W8).
    func storage(for filter: Filter) throws -> NegentropyStorage {
        var f = filter
        f.limit = nil
        switch try store.idListing(for: f, maxItems: 5_000_000) {
        case .tooMany(let limit):
            throw NegentropyClientFailure.blocked(maxRecords: limit, reason: "local store has more than \(limit) items for this filter")
        case .items(let list):
            var storage = NegentropyStorage()
            storage.reserveCapacity(list.count)
            for i in 0..<list.count {
                try storage.insert(timestamp: list.timestamps[i], id: NegentropyID(bytes: list.id(at: i))!)
            }
            try storage.seal()
            return storage
        }
    }

    /// Result of one REQ until its EOSE.
    enum Collected: Sendable {
        case events([NostrEvent])
        case failed(String)
        case aborted
    }

    /// Sends one REQ (bookkeeping registered first: W7/W35), collects every delivered event
    /// whatever the policy did with it (W9), and closes the subscription at EOSE. A
    /// rate-limited refusal waits for the cooldown and retries (W6, W19).
    func collect(_ filter: Filter, attempt: Int = 0) async -> Collected {
        let id = await coordinator.nextSubscriptionID(subscriptionPrefix)
        let deliveries = router.register(id, now: now, timeout: configuration.requestTimeout)
        defer { router.unregister(id) }
        do { try await session.send(.req(subscriptionID: id, filters: [filter])) } catch { return .aborted }
        var events: [NostrEvent] = []
        for await delivery in deliveries {
            switch delivery {
            case .message(.event(_, let event)):
                events.append(event)
            case .message(.eose):
                try? await session.send(.close(subscriptionID: id))
                return .events(events)
            case .message(.closed(_, let reason)):
                // W19: a CLOSED ends the subscription; rate limits wait and retry.
                if MachineReadablePrefix.of(reason) == .rateLimited || reason.lowercased().contains("rate"), attempt < 5 {
                    router.unregister(id)
                    await coordinator.waitForRateLimitEnd(relay)
                    return await collect(filter, attempt: attempt + 1)
                }
                if SyncCoordinator.isSubscriptionCapRefusal(reason), attempt < 5 {
                    router.unregister(id)
                    await coordinator.relieveSubscriptionPressure(relay)
                    return await collect(filter, attempt: attempt + 1)
                }
                return .failed("subscription closed by relay: \(reason)")
            case .message:
                continue
            case .timeout:
                try? await session.send(.close(subscriptionID: id))
                return .failed("no EOSE within \(Int(configuration.requestTimeout)) s")
            case .disconnected:
                return .aborted
            }
        }
        return .aborted
    }
}
