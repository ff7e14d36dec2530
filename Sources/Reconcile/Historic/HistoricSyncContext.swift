import Foundation
import Nostr

/// Everything a historic batch's filter work needs, captured once per batch by its
/// ``RelayReconciler``: the work runs off the reconciler's actor (listings and sessions of
/// several filters side by side) and reports to it through its actor methods.
struct HistoricSyncContext: Sendable {
    let relay: RelayURL
    let generation: Int
    let channel: any HistoricRelayChannel
    let local: any LocalItemSource
    let clock: any NodeClock
    let configuration: ReconcilerConfiguration
    let classify: @Sendable (String) -> RelayRefusal
    let reconciler: RelayReconciler
    /// The relay's NIP-77 session slots.
    let negentropySlots: AsyncSlots
    /// The relay's historic REQ slots (id fetches and pages).
    let requestSlots: AsyncSlots
    /// Ids being fetched from the relay by any batch.
    let fetchLedger: IdFetchLedger

    var now: Double { clock.now() }

    /// Result of one REQ until its EOSE.
    enum Collected: Sendable {
        /// What the request's events were, in arrival order (the events themselves were
        /// stored by the connection before they were routed here).
        case events([DeliveredEvent])
        case failed(String)
        /// The relay refused the REQ as too large (the caller splits the filter).
        case tooLarge(String)
        case aborted
    }

    /// Sends one REQ (bookkeeping registered first; decisions: Register before you request),
    /// collects every delivered event whatever the policy did with it (decisions: Any delivered
    /// event counts), and closes the subscription at EOSE. A rate-limited refusal waits for the
    /// cooldown and retries (decisions: Rate-limited work waits off the engine, A CLOSED ends
    /// the request); a refusal for the
    /// relay's subscription cap consolidates the live set and retries. At most
    /// `historicRequestsPerRelay` such requests are open on the relay at once.
    func collect(_ filter: Filter, attempt: Int = 0) async -> Collected {
        guard await requestSlots.acquire() else { return .aborted }
        let (result, retry) = await request(filter, attempt: attempt)
        await requestSlots.release()
        switch retry {
        case nil:
            return result
        case .afterRateLimit?:
            await reconciler.waitForRateLimitEnd()
        case .afterConsolidation(let reason)?:
            await reconciler.relieveSubscriptionPressure(reason: reason)
        }
        return await collect(filter, attempt: attempt + 1)
    }

    /// Why a refused request is worth another attempt.
    enum Retry { case afterRateLimit, afterConsolidation(String) }

    /// One REQ until EOSE, CLOSED, timeout or disconnect.
    private func request(_ filter: Filter, attempt: Int) async -> (Collected, Retry?) {
        let id = await reconciler.nextSubscriptionID("hist")
        let deliveries = channel.register(id, timeout: configuration.requestTimeout)
        defer { channel.unregister(id) }
        do { try await channel.send(.req(subscriptionID: id, filters: [filter])) } catch { return (.aborted, nil) }
        var events: [DeliveredEvent] = []
        for await delivery in deliveries {
            switch delivery {
            case .message(.event(_, let event)):
                // Only what paging and id fetches read is kept: at a million events, pages
                // of whole events waiting for their EOSE held ~46 MB at the peak.
                guard let id = NegentropyID(hex: event.id) else { continue }
                events.append(DeliveredEvent(id: id, createdAt: event.createdAt, matchesFilter: filter.matches(event)))
            case .message(.eose):
                try? await channel.send(.close(subscriptionID: id))
                return (.events(events), nil)
            case .message(.closed(_, let reason)):
                // A CLOSED ends the subscription (decisions: A CLOSED ends the request): rate
                // limits wait and retry, a full subscription table consolidates and retries, an
                // oversized REQ is split.
                let failed = Collected.failed("subscription closed by relay: \(reason)")
                switch classify(reason) {
                case .rateLimited where attempt < 5: return (failed, .afterRateLimit)
                case .subscriptionCap where attempt < 5: return (failed, .afterConsolidation(reason))
                case .tooLarge: return (.tooLarge(reason), nil)
                default: return (failed, nil)
                }
            case .message:
                continue
            case .timeout:
                try? await channel.send(.close(subscriptionID: id))
                return (.failed("no EOSE within \(Int(configuration.requestTimeout)) s"), nil)
            case .disconnected:
                return (.aborted, nil)
            }
        }
        return (.aborted, nil)
    }
}
