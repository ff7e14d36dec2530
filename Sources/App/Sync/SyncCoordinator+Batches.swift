import Foundation
import Layers
import Nostr

extension SyncCoordinator {
    /// Registers a pending batch (before any request goes out: W7), opens the live
    /// subscriptions of its filters, and starts its historic work in the background.
    func startBatch(relay url: RelayURL, needs: RelaySyncNeeds, since: Int64?, isGeneric: Bool) {
        guard let state = relays[url], let session = state.session, let router = routers[url] else { return }
        let filters = isGeneric
            ? SyncFilterBuilder.layer1(since: since, live: false)
            : SyncFilterBuilder.filters(repos: needs.repos, rootEvents: needs.rootEvents, since: since, live: false)
        guard !filters.isEmpty else { return }
        let batch = pending.add(relay: url, repos: needs.repos, rootEvents: needs.rootEvents)
        var s = state
        s.quietSince = nil
        relays[url] = s
        let liveFilters = filters.map { f -> Filter in
            var live = f
            live.since = nil
            live.limit = 0
            return live
        }
        openLiveSubscriptions(url, filters: liveFilters)
        let context = HistoricSyncContext(
            relay: url, generation: state.generation, session: session, router: router, store: ingestor.store,
            rejected: ingestor.rejected, clock: clock, configuration: configuration, coordinator: self,
            subscriptionPrefix: "hist", negentropySlots: state.negentropySlots,
            requestSlots: state.requestSlots)
        let useNegentropy = !configuration.disableNegentropy && state.negentropy != .unsupported
        // NIP-77 reconciles bigger tag chunks in one round trip; REQ/EOSE keeps the
        // reference's 100 per filter.
        let historicFilters = useNegentropy ? SyncFilterBuilder.coalesced(filters) : filters
        // Side by side only with NIP-77: each session diffs against what is stored by then,
        // while REQ/EOSE pages of overlapping filters would download the same events twice.
        let width = useNegentropy ? max(1, configuration.batchFilterConcurrency) : 1
        spawn { [weak self] in
            let owner = self
            // The batch's filters run side by side (the relay's session and REQ slots bound
            // the real concurrency); NIP-77 is tried while the relay is not known to refuse it.
            let outcome = await withTaskGroup(of: HistoricOutcome.self) { group -> HistoricOutcome in
                var next = 0
                var outcome = HistoricOutcome.complete
                func startNext() {
                    guard next < historicFilters.count else { return }
                    let filter = historicFilters[next]
                    next += 1
                    group.addTask {
                        let tryNegentropy = useNegentropy ? (await owner?.negentropyAllowed(url) ?? false) : false
                        return await context.sync(filter, tryNegentropy: tryNegentropy)
                    }
                }
                for _ in 0..<width { startNext() }
                while let result = await group.next() {
                    if case .aborted = result {
                        group.cancelAll()
                        return .aborted
                    }
                    if case .failed = result, outcome == .complete { outcome = result }
                    startNext()
                }
                return outcome
            }
            await owner?.batchFinished(batch.id, relay: url, generation: context.generation, outcome: outcome)
        }
    }

    func negentropyAllowed(_ url: RelayURL) -> Bool {
        !configuration.disableNegentropy && relays[url]?.negentropy != .unsupported
    }

    /// Records what a session taught us about NIP-77 (W32: from behaviour, re-probed daily).
    func learnedNegentropy(_ url: RelayURL, generation: Int, supported: Bool, reason: String? = nil) {
        guard var state = relays[url], state.generation == generation else { return }
        let new: NegentropySupport = supported ? .supported : .unsupported
        if state.negentropy != new {
            if !supported { logger.info("relay \(url) does not do NIP-77 (\(reason ?? "")); using REQ/EOSE") }
            state.negentropy = new
            relays[url] = state
        }
    }

    /// A batch's network work ended: confirm it (marked failed when data is missing).
    func batchFinished(_ id: Int, relay url: RelayURL, generation: Int, outcome: HistoricOutcome) {
        guard var state = relays[url], state.generation == generation else { return }
        if case .aborted = outcome { return }
        if case .failed(let why) = outcome {
            pending.markFailed(id)
            logger.warning("historic batch \(id) on \(url) incomplete: \(why)")
        }
        guard let batch = pending.complete(id) else { return }
        confirmed.confirm(batch)
        if batch.failed { state.historicFailures = true }
        if batch.isGeneric { state.announcementsSynced = true }
        relays[url] = state
        stateDirty = true
    }
}
