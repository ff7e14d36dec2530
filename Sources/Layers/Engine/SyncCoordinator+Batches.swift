import Foundation
import Nostr
import Reconcile

extension SyncCoordinator {
    /// Registers a pending batch (before any request goes out; decisions: Register before you request), opens the live
    /// subscriptions of its filters, and starts its historic work in the background.
    ///
    /// `relayWide`: the batch covers every item of a GRASP server; with NIP-77 it is first
    /// reconciled in one relay-wide session, and only if that fails by its item filters.
    func startBatch(relay url: RelayURL, needs: RelaySyncNeeds, since: Int64?, isGeneric: Bool, relayWide: Bool = false) {
        guard let state = relays[url], state.session != nil else { return }
        let useNegentropy = state.reconciler.negentropyAllowed
        // NIP-77 reconciles bigger tag chunks in one round trip; REQ/EOSE keeps the
        // reference's 100 per filter.
        let historicFilters: FilterList
        if isGeneric {
            historicFilters = FilterList(SyncFilterBuilder.layer1(since: since, live: false))
        } else if useNegentropy {
            historicFilters = SyncFilterBuilder.negentropyFilters(repos: needs.repos, rootEvents: needs.rootEvents, since: since,
                                                                  limits: state.requestLimits)
        } else {
            historicFilters = FilterList(SyncFilterBuilder.filters(repos: needs.repos, rootEvents: needs.rootEvents, since: since,
                                                                   live: false, limits: state.requestLimits))
        }
        guard !historicFilters.isEmpty else { return }
        let batch = pending.add(relay: url, repos: needs.repos, rootEvents: needs.rootEvents)
        relays[url]?.lifecycle.batchStarted()
        openLiveSubscriptions(for: url, needs: needs, isGeneric: isGeneric)
        var scope: HistoricBatch.RelayWideScope?
        if relayWide && useNegentropy && !isGeneric {
            // The relay-wide session's local side: what the relay should hold for this node.
            var local = FilterList(SyncFilterBuilder.layer1(since: since, live: false))
            local.append(contentsOf: historicFilters)
            scope = HistoricBatch.RelayWideScope(since: since, localFilters: local)
        }
        let historic = HistoricBatch(id: batch.id, generation: state.generation, filters: historicFilters,
                                     negentropy: useNegentropy, relayWide: scope)
        submit(historic, to: state.reconciler, relay: url)
    }

    /// Hands `batch` to the relay's reconciler over its batch stream, starting the
    /// reconciler's loop (and the report consumer) the first time.
    func submit(_ batch: HistoricBatch, to reconciler: RelayReconciler, relay url: RelayURL) {
        if batchReportConsumer == nil {
            let reports = batchReports
            batchReportConsumer = Task { [weak self] in
                for await report in reports {
                    guard let self else { return }
                    await self.batchReported(report)
                }
            }
        }
        if reconcilerLoops[url] == nil {
            let reportInput = batchReportInput
            reconcilerLoops[url] = Task { await reconciler.runBatches(reportingTo: reportInput) }
        }
        batchesInFlight += 1
        if !reconciler.submit(batch) { batchesInFlight -= 1 }
    }

    /// A reconciler reported a batch's end: apply it, then let idle waiters re-check.
    func batchReported(_ report: HistoricReport) async {
        guard !stopped else { return }
        await batchFinished(report.batchID, relay: report.relay, generation: report.generation, outcome: report.outcome)
        guard !stopped else { return }
        batchesInFlight -= 1
        notifyIdleWatchers()
    }

    /// Opens the live (`limit: 0`) side of a batch (``LiveSubscriptionSet/openBatch``).
    func openLiveSubscriptions(for url: RelayURL, needs: RelaySyncNeeds, isGeneric: Bool) {
        guard var state = relays[url], state.session != nil else { return }
        let change = state.live.openBatch(needs: needs, generic: isGeneric, graspServer: state.graspServer == true,
                                          requestLimits: state.requestLimits, items: { liveItems(url) },
                                          nextID: { nextSubscriptionID("live") })
        relays[url] = state
        send(change, to: url)
    }

    func negentropyAllowed(_ url: RelayURL) -> Bool {
        relays[url].map(\.reconciler.negentropyAllowed) ?? !configuration.disableNegentropy
    }

    /// A relay refused a request carrying `refusedBytes` of values as too large: later
    /// requests to it stay under half of that (logged once per change, persisted).
    public func learnedRequestTooLarge(_ url: RelayURL, generation: Int, refusedBytes: Int) {
        guard var state = relays[url], state.generation == generation else { return }
        let shrunk = state.requestLimits.shrunk(belowRefused: refusedBytes)
        guard shrunk != state.requestLimits else { return }
        logger.info("relay \(url) refused a filter with \(refusedBytes) bytes of values as too large; sending at most \(shrunk.maxTagValueBytes) from now on")
        state.requestLimits = shrunk
        relays[url] = state
        stateDirty = true
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
        relays[url] = state
        stateDirty = true
        await requestEarlyFlush()
    }
}
