import Foundation
import Layers
import Nostr

extension SyncCoordinator {
    /// Registers a pending batch (before any request goes out; decisions: Register before you request), opens the live
    /// subscriptions of its filters, and starts its historic work in the background.
    ///
    /// `relayWide`: the batch covers every item of a GRASP server; with NIP-77 it is first
    /// reconciled in one relay-wide session, and only if that fails by its item filters.
    func startBatch(relay url: RelayURL, needs: RelaySyncNeeds, since: Int64?, isGeneric: Bool, relayWide: Bool = false) {
        guard let state = relays[url], let session = state.session, let router = routers[url] else { return }
        let useNegentropy = !configuration.disableNegentropy && state.negentropy != .unsupported
        // NIP-77 reconciles bigger tag chunks in one round trip; REQ/EOSE keeps the
        // reference's 100 per filter.
        let historicFilters: [Filter]
        if isGeneric {
            historicFilters = SyncFilterBuilder.layer1(since: since, live: false)
        } else if useNegentropy {
            historicFilters = SyncFilterBuilder.negentropyFilters(repos: needs.repos, rootEvents: needs.rootEvents, since: since,
                                                                  limits: state.requestLimits)
        } else {
            historicFilters = SyncFilterBuilder.filters(repos: needs.repos, rootEvents: needs.rootEvents, since: since, live: false,
                                                        limits: state.requestLimits)
        }
        guard !historicFilters.isEmpty else { return }
        let batch = pending.add(relay: url, repos: needs.repos, rootEvents: needs.rootEvents)
        relays[url]?.lifecycle.batchStarted()
        openLiveSubscriptions(for: url, needs: needs, isGeneric: isGeneric)
        let context = HistoricSyncContext(
            relay: url, generation: state.generation, session: session, router: router, store: ingestor.store,
            rejected: ingestor.rejected, clock: clock, configuration: configuration, coordinator: self,
            subscriptionPrefix: "hist", negentropySlots: state.negentropySlots,
            requestSlots: state.requestSlots, fetchLedger: state.fetchLedger)
        // Side by side only with NIP-77: each session diffs against what is stored by then,
        // while REQ/EOSE pages of overlapping filters would download the same events twice.
        let width = useNegentropy ? max(1, configuration.batchFilterConcurrency) : 1
        // The relay-wide session's local side: what the relay should hold for this node.
        let relayWideLocal: [Filter]? = relayWide && useNegentropy && !isGeneric
            ? SyncFilterBuilder.layer1(since: since, live: false) + historicFilters : nil
        spawn { [weak self] in
            let owner = self
            if let relayWideLocal, let outcome = await context.reconcileRelayWide(since: since, localFilters: relayWideLocal) {
                await owner?.batchFinished(batch.id, relay: url, generation: context.generation, outcome: outcome)
                return
            }
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

    /// Opens the live (`limit: 0`) side of a batch. When the relay's live set is consolidated,
    /// or these filters would push it past the threshold, the reference-sized filters (one
    /// per 100 values and tag name, often thousands) are never built: the batch's items go
    /// into a few filters as big as the relay's request limits allow.
    func openLiveSubscriptions(for url: RelayURL, needs: RelaySyncNeeds, isGeneric: Bool) {
        guard let state = relays[url] else { return }
        if isGeneric {
            openLiveSubscriptions(url, filters: SyncFilterBuilder.layer1(since: nil, live: true))
            return
        }
        let others = SyncFilterBuilder.filters(repos: needs.repos, rootEvents: [], since: nil, live: true, limits: state.requestLimits)
        let rootChunks = (needs.rootEvents.count + SyncFilterBuilder.chunkSize - 1) / SyncFilterBuilder.chunkSize
        let layer3Count = 3 * rootChunks
        // At least this many of the filters are new (at most every open filter is among them).
        let openFilters = state.liveSubscriptions.values.reduce(0) { $0 + $1.count }
        let freshAtLeast = others.count + layer3Count - openFilters
        if state.liveConsolidated || state.liveSubscriptions.count + freshAtLeast > configuration.consolidationThreshold {
            let packed = SyncFilterBuilder.packedLiveFilters(repos: needs.repos, rootEvents: needs.rootEvents, limits: state.requestLimits)
            openLiveSubscriptions(url, filters: packed, consolidate: true)
        } else {
            openLiveSubscriptions(url, filters: others + SyncFilterBuilder.layer3(rootEvents: Array(needs.rootEvents), since: nil, live: true,
                                                                              limits: state.requestLimits))
        }
    }

    func negentropyAllowed(_ url: RelayURL) -> Bool {
        !configuration.disableNegentropy && relays[url]?.negentropy != .unsupported
    }

    /// A relay refused a request carrying `refusedBytes` of values as too large: later
    /// requests to it stay under half of that (logged once per change, persisted).
    func learnedRequestTooLarge(_ url: RelayURL, generation: Int, refusedBytes: Int) {
        guard var state = relays[url], state.generation == generation else { return }
        let shrunk = state.requestLimits.shrunk(belowRefused: refusedBytes)
        guard shrunk != state.requestLimits else { return }
        logger.info("relay \(url) refused a filter with \(refusedBytes) bytes of values as too large; sending at most \(shrunk.maxTagValueBytes) from now on")
        state.requestLimits = shrunk
        relays[url] = state
        stateDirty = true
    }

    /// One NIP-77 session failed for a reason that does not say the relay lacks NIP-77: that
    /// filter goes through REQ/EOSE, NIP-77 stays in use.
    func negentropySessionFailed(_ url: RelayURL, filter: Filter, reason: String) {
        logger.warning("relay \(url): NIP-77 session failed (\(reason)); syncing that filter with REQ/EOSE")
    }

    /// Records what a session taught us about NIP-77 (from behaviour, re-probed daily; decisions: NIP-77 support is learned and re-probed).
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
    func batchFinished(_ id: Int, relay url: RelayURL, generation: Int, outcome: HistoricOutcome) async {
        guard var state = relays[url], state.lifecycle.isCurrent(generation) else { return }
        if case .aborted = outcome { return }
        if case .failed(let why) = outcome {
            pending.markFailed(id)
            logger.warning("historic batch \(id) on \(url) incomplete: \(why)")
        }
        guard let batch = pending.complete(id) else { return }
        confirmed.confirm(batch)
        state.lifecycle.batchFinished(generation: generation, failed: batch.failed)
        if batch.isGeneric { state.announcementsSynced = true }
        relays[url] = state
        stateDirty = true
        await requestEarlyFlush()
    }
}
