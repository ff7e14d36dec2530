import Foundation
import Health
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
    /// The relay's NIP-77 session slots.
    let negentropySlots: AsyncSlots
    /// The relay's historic REQ slots (id fetches and pages).
    let requestSlots: AsyncSlots
    /// Ids being fetched from the relay by any batch.
    let fetchLedger: IdFetchLedger

    var now: Double { clock.now() }

    /// Result of one REQ until its EOSE.
    enum Collected: Sendable {
        case events([NostrEvent])
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
            await coordinator.waitForRateLimitEnd(relay)
        case .afterConsolidation(let reason)?:
            await coordinator.relieveSubscriptionPressure(relay, reason: reason)
        }
        return await collect(filter, attempt: attempt + 1)
    }

    /// Why a refused request is worth another attempt.
    enum Retry { case afterRateLimit, afterConsolidation(String) }

    /// One REQ until EOSE, CLOSED, timeout or disconnect.
    private func request(_ filter: Filter, attempt: Int) async -> (Collected, Retry?) {
        let id = await coordinator.nextSubscriptionID(subscriptionPrefix)
        let deliveries = router.register(id, now: now, timeout: configuration.requestTimeout)
        defer { router.unregister(id) }
        do { try await session.send(.req(subscriptionID: id, filters: [filter])) } catch { return (.aborted, nil) }
        var events: [NostrEvent] = []
        for await delivery in deliveries {
            switch delivery {
            case .message(.event(_, let event)):
                events.append(event)
            case .message(.eose):
                try? await session.send(.close(subscriptionID: id))
                return (.events(events), nil)
            case .message(.closed(_, let reason)):
                // A CLOSED ends the subscription (decisions: A CLOSED ends the request): rate
                // limits wait and retry, a full subscription table consolidates and retries, an
                // oversized REQ is split.
                let failed = Collected.failed("subscription closed by relay: \(reason)")
                switch RefusalClassifier.classify(reason) {
                case .rateLimited where attempt < 5: return (failed, .afterRateLimit)
                case .subscriptionCap where attempt < 5: return (failed, .afterConsolidation(reason))
                case .tooLarge: return (.tooLarge(reason), nil)
                default: return (failed, nil)
                }
            case .message:
                continue
            case .timeout:
                try? await session.send(.close(subscriptionID: id))
                return (.failed("no EOSE within \(Int(configuration.requestTimeout)) s"), nil)
            case .disconnected:
                return (.aborted, nil)
            }
        }
        return (.aborted, nil)
    }
}
