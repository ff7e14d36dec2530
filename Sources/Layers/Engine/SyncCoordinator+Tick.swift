import Foundation
import Health
import Nostr
import Reconcile
import SyncMetrics

extension SyncCoordinator {
    /// One turn of the engine's timers (the node calls it every second; tests call it after
    /// moving the clock): request timeouts, rate-limit recovery, the self-subscriber window,
    /// the completion check, reconnects, drops, daily resyncs and metrics.
    public func tick() async {
        guard !stopped else { return }
        let now = self.now
        for state in relays.values where state.session != nil { await state.link.expireRequests(now: now) }

        let healthTick = await health.tick()
        for key in healthTick.rateLimitsEnded {
            guard let url = RelayURL(key) else { continue }
            relays[url]?.gates.rateLimitEnded()
            resumeRateLimitWaiters(url)
            reopenRefusedLiveSubscriptions(url)
            await recompute(only: [url])
        }

        await applyFlush(await selfSubscriber.flushIfDue(now: now))

        // Work the diff still owes a syncing relay (an action dropped during a rate limit):
        // started again here once the relay accepts work.
        for url in checkCompletion(now: now).sorted() where relays[url]?.gates.isRateLimited(at: now) != true {
            await recompute(only: [url])
        }

        let targets = relayTargets()
        for url in relays.keys.sorted() {
            guard let state = relays[url] else { continue }
            let wanted = state.isBootstrap || !(targets[url]?.isEmpty ?? true)
            if !wanted {
                await drop(url)
            } else if state.status == .disconnected, state.gates.mayAttempt(at: now) {
                // Bootstrap and targeted relays are always retried (decisions: Retry every wanted relay).
                await connect(url)
            } else if state.lifecycle.isDailyResyncDue(at: now) {
                await dailyResync(url)
            }
        }

        // Confirmed state is written at most every 5 s while it changes (a restart loses at
        // most that much confirmation, which only means re-checking it), and every minute
        // regardless, so the persisted last-seen times stay current.
        let last = lastPersistedAt ?? -.infinity
        if (stateDirty && now - last >= 5) || now - last >= 60 { persistState() }
        // Every 60 s since the last cleanup: ticks need not land on a whole minute.
        if now - (lastCleanupAt ?? -.infinity) >= 60 {
            lastCleanupAt = now
            ingestor.rejected.cleanup(now: now)
            ingestor.deferred.cleanup(now: now)
        }
        emit(.snapshot(await metricsSnapshot()))
    }

    /// T6: Syncing -> Connected / ConnectedHistoricSyncFailures once no batch is pending,
    /// checked twice a settle delay apart (batches the self-subscriber is about to create
    /// for just-received events get their chance first; events it has not consumed yet
    /// count as pending work). The lifecycle machine decides; this gathers what it needs.
    /// Returns the syncing relays that are otherwise quiet but still owe work from the diff.
    @discardableResult
    func checkCompletion(now: Double) -> Set<RelayURL> {
        var outstanding: Set<RelayURL>?
        var owing: Set<RelayURL> = []
        for (url, state) in relays where state.status == .syncing {
            // Events stored but not yet seen by the self-subscriber may still create batches.
            let unseen = acceptedSeen < ingestor.store.publishedEventCount
            let pendingWork = pending.hasPending(for: url) || selfSubscriberBuffered > 0 || unseen
            // Fed a copy: asking the diff reads `relays`, which must not be mid-mutation.
            var lifecycle = state.lifecycle
            let actions = lifecycle.tick(at: now, pendingWork: pendingWork, owesWork: {
                // Work not started yet (e.g. held back by a rate limit) is not completion.
                if outstanding == nil { outstanding = relaysOwingWork() }
                return outstanding!.contains(url)
            })
            relays[url]?.lifecycle = lifecycle
            for action in actions {
                switch action {
                case .statusChanged(let from, let to, let reason): statusChanged(url, from: from, to: to, reason: reason)
                case .resumeOwedWork: owing.insert(url)
                default: break
                }
            }
        }
        return owing
    }

    /// Relays the three-way diff still gives work to, recomputed only when one of its
    /// inputs changed (the completion check asks on every tick while a relay settles).
    func relaysOwingWork() -> Set<RelayURL> {
        if let cached = cachedOutstanding, cached.revision == diffRevision, cached.desiredRevision == desiredRevision {
            return cached.relays
        }
        let statuses = relays.mapValues(\.status)
        let owing = Set(computeActions(targets: relayTargets(), pending: pending, confirmed: confirmed,
                                       status: { statuses[$0] }).map(\.relay))
        cachedOutstanding = (diffRevision, desiredRevision, owing)
        return owing
    }

    /// What every relay must sync: the desired index keeps it up to date as it changes
    /// (equal to `deriveRelayTargets(desired)` without walking every repo and root event).
    func relayTargets() -> [RelayURL: RelaySyncNeeds] { desired.relayTargets }

    /// The state every gauge is derived from, each tick (decisions: Gauges derived from state).
    func metricsSnapshot() async -> SyncMetricsSnapshot {
        var out: [RelayMetricsSnapshot] = []
        for url in relays.keys.sorted() {
            let state = relays[url]!
            let key = url.description
            let needs = confirmed.needs(for: url)
            let healthError = await health.lastError(of: key)
            var snapshot = RelayMetricsSnapshot(
                url: url, connectionStatus: state.status, health: await health.status(of: key),
                consecutiveFailures: await health.consecutiveFailures(of: key),
                nextRetryAt: await health.nextAttemptAt(key), confirmedRepos: needs.repos.count,
                confirmedRootEvents: needs.rootEvents.count, pendingBatches: pending.batches(for: url).count,
                lastError: state.lastError ?? healthError)
            // NIP-77 or REQ/EOSE, as the next historic batch would run (nil: not probed yet).
            switch (configuration.disableNegentropy, state.reconciler.negentropySupport) {
            case (true, _), (_, .unsupported): snapshot.syncMode = .req
            case (_, .supported): snapshot.syncMode = .nip77
            case (_, .unknown): snapshot.syncMode = nil
            }
            out.append(snapshot)
        }
        let counts = ingestor.rejected.counts()
        let sizes = RejectedIndexSizes(
            hot: [.announcement: counts.hot[.announcement] ?? 0, .state: counts.hot[.state] ?? 0],
            cold: [.announcement: counts.cold[.announcement] ?? 0, .state: counts.cold[.state] ?? 0])
        let deferred = ingestor.deferred.statistics
        let figures = DeferredIndexFigures(events: deferred.events, bytes: deferred.bytes, totals: [
            .added: deferred.added, .reprocessed: deferred.reprocessed, .accepted: deferred.accepted,
            .evictedCount: deferred.evictedCount, .evictedBytes: deferred.evictedBytes, .expired: deferred.expired,
        ])
        let naughty = await health.naughtyEntries().map(NaughtyRelayMetric.init)
        return SyncMetricsSnapshot(relays: out, naughtyRelays: naughty, rejectedIndex: sizes, deferredIndex: figures)
    }

    /// Per-relay state for `GET /status` and tests.
    public func relayStatus(_ url: RelayURL) -> RelayConnectionStatus? { relays[url]?.status }

    /// Every tracked relay with its status.
    public func trackedRelays() -> [RelayURL: RelayConnectionStatus] { relays.mapValues(\.status) }

    /// What NIP-77 support was learned for a relay.
    public func negentropySupport(_ url: RelayURL) -> NegentropySupport? { relays[url]?.reconciler.negentropySupport }

    /// The desired index (tests, status).
    public func desiredIndex() -> RepoSyncIndex { desired }

    /// The connection actor of a tracked relay (the same one across reconnects).
    public func connection(for url: RelayURL) -> (any RelayLink)? { relays[url]?.link }

    /// Confirmed needs of a relay.
    public func confirmedNeeds(_ url: RelayURL) -> RelaySyncNeeds { confirmed.needs(for: url) }

    /// Pending batches of a relay.
    public func pendingBatches(_ url: RelayURL) -> [PendingBatch] { pending.batches(for: url) }

    /// Whether a relay's live set is consolidated, and whether its Layer 3 is then streamed
    /// by kind (approximate) instead of by root id.
    public func liveSetConsolidation(_ url: RelayURL) -> (consolidated: Bool, approximateLayer3: Bool) {
        (relays[url]?.live.consolidated ?? false, relays[url]?.live.layer3Approximate ?? false)
    }

    /// The latest error recorded for a relay (status document, tests).
    public func lastError(of url: RelayURL) -> String? { relays[url]?.lastError }

    /// The request limits in force for a relay (configured, or shrunk by its refusals).
    public func requestLimits(_ url: RelayURL) -> RequestLimits? { relays[url]?.requestLimits }

    /// Number of live subscriptions open on a relay.
    public func liveSubscriptionCount(_ url: RelayURL) -> Int { relays[url]?.live.subscriptions.count ?? 0 }

    /// How the relay's latest connection was synced.
    public func syncStrategy(_ url: RelayURL) -> SyncStrategy? { lastStrategy[url] }

    /// When the relay's next daily resync is due.
    public func nextDailyResync(_ url: RelayURL) -> Double? { relays[url]?.nextDailyResync }

    /// The health tracker (status document, tests).
    public var healthTracker: any RelayHealthTracking { health }
}
