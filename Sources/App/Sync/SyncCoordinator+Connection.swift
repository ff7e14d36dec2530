import Foundation
import Health
import Layers
import Nostr
import Store
import SyncMetrics
import Transport

extension SyncCoordinator {
    // MARK: - Task bookkeeping

    /// Starts a background task the coordinator can wait for and cancel.
    @discardableResult
    func spawn(_ body: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
        taskCounter += 1
        let id = taskCounter
        let task = Task { [weak self] in
            await body()
            await self?.taskFinished(id)
        }
        tasks[id] = task
        return task
    }

    func taskFinished(_ id: Int) {
        tasks[id] = nil
        workers[id] = nil
        notifyIdleWatchers()
    }

    func nextSubscriptionID(_ prefix: String) -> String {
        subscriptionCounter += 1
        return "\(prefix)-\(subscriptionCounter)"
    }

    // MARK: - Lifecycle actions

    /// Carries out, in order, the actions `url`'s lifecycle machine returned for an input.
    func perform(_ actions: [RelayLifecycleStateMachine.Action], for url: RelayURL) async {
        for action in actions {
            switch action {
            case .statusChanged(let from, let to, let reason):
                statusChanged(url, from: from, to: to, reason: reason)
            case .openConnection(let generation):
                await openConnection(url, generation: generation)
            case .closeConnection:
                if let session = relays[url]?.session { spawn { await session.close() } }
            case .resetLiveState:
                relays[url]?.resetLiveState()
            case .startFreshStart:
                lastStrategy[url] = .freshStart
                await freshStart(url)
            case .startQuickReconnect(let since):
                lastStrategy[url] = .quickReconnect(since: since)
                await quickReconnect(url, since: since)
            case .startDailyResync:
                await resync(url)
            case .scheduleDailyResync(let at):
                logger.debug("relay \(url): next daily resync at \(DurationText.instant(at, now: clock.now()))")
            case .attemptFailed(let failure):
                let retry = await health.recordFailure(url.description, kind: failure.kind, message: failure.message)
                emit(.connectionAttempt(url, result: .failure))
                logger.warning("connecting to \(url) failed: \(failure.message); next attempt at \(DurationText.instant(retry.retryAt, now: clock.now()))")
            case .connectionLost(let failure):
                _ = await health.recordFailure(url.description, kind: failure.kind, message: failure.message)
                stateDirty = true
                logger.warning("relay \(url) disconnected: \(failure.message)")
            case .connectionClosed:
                await health.recordDisconnect(url.description)
                stateDirty = true
                logger.warning("relay \(url) disconnected")
            case .removeRelay:
                removeRelay(url)
            case .resumeOwedWork:
                if !(await health.isRateLimited(url.description)) { await recompute(only: [url]) }
            }
        }
    }

    /// The lifecycle moved a relay from `from` to `to`: one log line naming the reason, and
    /// the change published.
    func statusChanged(_ url: RelayURL, from: RelayConnectionStatus, to: RelayConnectionStatus, reason: String) {
        logger.info("relay \(url): \(from) -> \(to) (\(reason))")
        diffRevision += 1
        emit(.connectionStatusChanged(url, to))
    }

    // MARK: - Connecting (T2-T5)

    /// T2: Disconnected -> Connecting, then one attempt in the background.
    func connect(_ url: RelayURL) async {
        guard !stopped, let actions = relays[url]?.lifecycle.connectStarted() else { return }
        await perform(actions, for: url)
    }

    /// Records an attempt with the health tracker and opens the connection in the
    /// background; the outcome comes back tagged with `generation`.
    func openConnection(_ url: RelayURL, generation: Int) async {
        guard let connection = relays[url]?.connection else { return }
        await health.recordAttempt(url.description)
        spawn { [weak self] in
            do throws(TransportError) {
                let session = try await connection.connect()
                await self?.connected(url, session: session, generation: generation)
            } catch {
                await self?.connectFailed(url, error: error, generation: generation)
            }
        }
    }

    /// T3: Connecting -> Disconnected with the failure recorded in the health tracker.
    func connectFailed(_ url: RelayURL, error: TransportError, generation: Int) async {
        let failure = RelayLifecycleStateMachine.Failure(kind: error.failureKind, message: error.description)
        guard let actions = relays[url]?.lifecycle.connectFailed(generation: generation, failure: failure),
              !actions.isEmpty else { return }
        relays[url]?.lastError = error.description
        await perform(actions, for: url)
    }

    /// T4/T5: the connection is open; the lifecycle chooses quick reconnect or fresh start.
    func connected(_ url: RelayURL, session: any RelaySession, generation: Int) async {
        guard relays[url]?.lifecycle.isAttemptInProgress(generation) == true, !stopped else {
            await session.close()
            return
        }
        if await refreshRelayInformationIfStale(url) {
            // Re-validated after the await: the connection may have ended meanwhile.
            guard relays[url]?.lifecycle.isAttemptInProgress(generation) == true, !stopped else {
                await session.close()
                return
            }
        }
        _ = await health.recordSuccess(url.description)
        emit(.connectionAttempt(url, result: .success))
        let delay = randomDelay(in: configuration.dailyResyncRange)
        // The lifecycle decides quick reconnect vs fresh start on the time since the
        // disconnect, not since the last connect.
        guard var state = relays[url] else {
            await session.close()
            return
        }
        let actions = state.lifecycle.connected(at: now, generation: generation, dailyResyncDelay: delay)
        guard !actions.isEmpty else {
            await session.close()
            return
        }
        state.session = session
        state.lastError = nil
        relays[url] = state
        let clock = self.clock
        let channel = await state.connection.startReading(session, generation: generation, sink: inboundSink, signals: health,
                                                          now: { clock.now() })
        await state.reconciler.connectionOpened(generation: generation, channel: channel)
        await perform(actions, for: url)
    }

    // MARK: - Sync entry points

    /// Fresh start: forget what was confirmed, sync layer 1, then every targeted item.
    func freshStart(_ url: RelayURL) async {
        _ = pending.removeAll(for: url)
        let syncedBefore = !confirmed.needs(for: url).isEmpty
        confirmed.clear(url)
        guard var state = relays[url] else { return }
        // A GRASP server this node synced before holds little it lacks: one relay-wide
        // session instead of the item filters. A first sync keeps the item filters, which
        // fetch roots before what tags them.
        state.relayWideNext = syncedBefore && state.graspServer == true && negentropyAllowed(url)
        state.lifecycle.historicSyncRestarted()
        state.announcementsSynced = false
        relays[url] = state
        await closeLiveSubscriptions(url)
        startBatch(relay: url, needs: RelaySyncNeeds(), since: nil, isGeneric: true)
        await recompute(only: [url])
        stateDirty = true
    }

    /// Quick reconnect (decisions: Reconnect from the disconnect, Catch up every layer): catch up every layer (L1, state, L2, L3) of what was
    /// confirmed with `since`, then sync anything new from scratch.
    func quickReconnect(_ url: RelayURL, since: Int64) async {
        _ = pending.removeAll(for: url)
        logger.info("quick reconnect to \(url), catching up since \(since)")
        startBatch(relay: url, needs: RelaySyncNeeds(), since: since, isGeneric: true)
        let known = confirmed.needs(for: url)
        if !known.isEmpty {
            startBatch(relay: url, needs: known, since: since, isGeneric: false,
                       relayWide: relays[url]?.graspServer == true && negentropyAllowed(url))
        }
        await recompute(only: [url])
    }

    /// Daily resync (decisions: Staggered daily resync), when due: the lifecycle puts the relay back to Syncing and
    /// schedules the next one; `resync` re-probes NIP-77 and starts fresh.
    func dailyResync(_ url: RelayURL) async {
        let now = self.now
        guard relays[url]?.lifecycle.isDailyResyncDue(at: now) == true else { return }
        let delay = randomDelay(in: configuration.dailyResyncRange)
        guard let actions = relays[url]?.lifecycle.dailyResyncDue(at: now, nextDelay: delay) else { return }
        await perform(actions, for: url)
    }

    /// The daily resync's sync: forget what was learned about NIP-77, refresh the
    /// NIP-11 document if stale, then a fresh start.
    func resync(_ url: RelayURL) async {
        relays[url]?.reconciler.negentropySupport = .unknown
        _ = await refreshRelayInformationIfStale(url)
        await freshStart(url)
    }

    // MARK: - The connection's events

    /// Follows what `url`'s connection actor reports for as long as the relay is tracked.
    func follow(_ connection: RemoteRelayConnection, url: RelayURL) {
        taskCounter += 1
        let taskID = taskCounter
        workers[taskID] = Task { [weak self] in
            for await event in connection.events {
                guard let self else { return }
                await self.connectionEvent(event, url: url)
            }
            await self?.taskFinished(taskID)
        }
    }

    func connectionEvent(_ event: RemoteRelayEvent, url: RelayURL) async {
        switch event {
        case .delivered:
            relayDelivered(url)
        case .subscriptionClosed(let generation, let id, let reason):
            liveSubscriptionClosed(url, id: id, reason: reason, generation: generation)
        case .ended(let generation, let reason):
            await connectionEnded(url, generation: generation, reason: reason)
        }
    }

    /// T7/T9: the connection ended, unexpectedly or because we dropped the relay.
    func connectionEnded(_ url: RelayURL, generation: Int, reason: TransportError?) async {
        let failure = reason.map { RelayLifecycleStateMachine.Failure(kind: $0.failureKind, message: $0.description) }
        guard var state = relays[url] else { return }
        let actions = state.lifecycle.connectionEnded(at: now, generation: generation, failure: failure)
        guard !actions.isEmpty else { return }
        state.session = nil
        if let reason { state.lastError = reason.description }
        relays[url] = state
        _ = pending.removeAll(for: url)
        resumeRateLimitWaiters(url)
        await perform(actions, for: url)
    }

    /// T8: nothing targets the relay any more (decisions: Keep a relay while it is wanted): close it; T9 removes it.
    func drop(_ url: RelayURL) async {
        guard let actions = relays[url]?.lifecycle.dropRequested() else { return }
        await perform(actions, for: url)
    }

    func removeRelay(_ url: RelayURL) {
        let connection = relays[url]?.connection
        relays[url] = nil
        diffRevision += 1
        if let connection { spawn { await connection.finish() } }
        confirmed.remove(relay: url)
        _ = pending.removeAll(for: url)
        emit(.relayRemoved(url))
        let health = self.health
        spawn { await health.remove(url.description) }
        stateDirty = true
        logger.info("stopped tracking relay \(url)")
    }

    // MARK: - Live subscriptions

    /// The live subscription of a GRASP server: everything new on the relay.
    static let relayWideLiveFilter = Filter(limit: 0)

    /// Opens live (`limit: 0`) subscriptions for `filters` not already streaming. While the
    /// relay's set is small each filter is its own REQ (decisions: Filter layers). When the count would
    /// pass the consolidation threshold the whole set is replaced by a consolidated one (new
    /// set first, then close the old; decisions: Consolidate by replacement), rebuilt from the confirmed and pending items with
    /// value lists as big as the relay's request limits allow, several filters per REQ: it
    /// matches exactly what the per-filter set matched. Only when even that needs more than
    /// `maxLiveSubscriptions` REQs is Layer 3 replaced by one relay-wide filter on the reply
    /// kinds (approximate, logged). A relay that refused a live REQ for its subscription cap
    /// is consolidated at once, closing the old set first (it has no room for both).
    ///
    /// `consolidate` consolidates now (new set first); `forceConsolidation` too, closing the
    /// old set first.
    @discardableResult
    func openLiveSubscriptions(_ url: RelayURL, filters: [Filter], consolidate: Bool = false,
                               forceConsolidation: Bool = false) -> Task<Void, Never>? {
        guard var state = relays[url], let session = state.session else { return nil }
        // A GRASP server holds only events of the repositories it hosts: one relay-wide live
        // subscription streams everything the item filters would, without naming any item.
        let graspServer = state.graspServer == true
        let filters = graspServer ? [Self.relayWideLiveFilter] : filters
        let perREQ = configuration.consolidatedFiltersPerSubscription
        var seen = Set(state.liveSubscriptions.values.joined())
        var fresh: [Filter] = []
        for filter in filters where seen.insert(filter).inserted {
            if state.liveLayer3Approximate && SyncFilterBuilder.isLayer3(filter) { continue }
            fresh.append(filter)
        }
        let consolidating = !state.liveConsolidated && (consolidate || forceConsolidation)
        if fresh.isEmpty && !consolidating { return nil }
        var toOpen: [(String, [Filter])] = []
        var toClose: [String] = []
        let closeFirst = forceConsolidation
        let freshGroups = state.liveConsolidated
            ? SyncFilterBuilder.pack(fresh, perSubscription: perREQ, limits: state.requestLimits)
            : fresh.map { [$0] }
        let budget = liveSubscriptionBudget(state)
        let overThreshold = state.liveSubscriptions.count + freshGroups.count > min(configuration.consolidationThreshold, budget)
        let overBudget = state.liveConsolidated && !state.liveLayer3Approximate
            && state.liveSubscriptions.count + freshGroups.count > budget
        if consolidating || forceConsolidation || (!state.liveConsolidated && overThreshold) || overBudget {
            // Everything live comes from the confirmed and pending items (fresh filters belong
            // to pending batches), so the new set is rebuilt from them, not from the old set.
            var needs = confirmed.needs(for: url)
            for batch in pending.batches(for: url) {
                for (ref, level) in batch.repos { needs.insert(ref, level: level) }
                needs.rootEvents.formUnion(batch.rootEvents)
            }
            let (groups, approximate) = graspServer ? ([[Self.relayWideLiveFilter]], false)
                : SyncFilterBuilder.consolidatedLiveFilters(
                    repos: needs.repos, rootEvents: needs.rootEvents, limits: state.requestLimits,
                    maxSubscriptions: budget, perSubscription: perREQ)
            for group in groups { toOpen.append((nextSubscriptionID("live"), group)) }
            toClose = Array(state.liveSubscriptions.keys)
            state.liveSubscriptions = [:]
            state.liveConsolidated = true
            state.liveLayer3Approximate = approximate
            logger.info("consolidating \(toClose.count) live subscriptions on \(url) into \(toOpen.count) (\(needs.repos.count) repos, \(needs.rootEvents.count) root events)")
            if approximate {
                logger.warning("relay \(url): live replies to \(needs.rootEvents.count) root events would need more than \(configuration.maxLiveSubscriptions) subscriptions; streaming them by kind instead (\(SyncFilterBuilder.rootEventReplyKinds.map(String.init).joined(separator: ",")))")
            }
        } else {
            for group in freshGroups { toOpen.append((nextSubscriptionID("live"), group)) }
        }
        for (id, group) in toOpen { state.liveSubscriptions[id] = group }
        relays[url] = state
        let opening = toOpen
        let closing = toClose
        return spawn {
            if closeFirst { for id in closing { try? await session.send(.close(subscriptionID: id)) } }
            for (id, group) in opening { try? await session.send(.req(subscriptionID: id, filters: group)) }
            if !closeFirst { for id in closing { try? await session.send(.close(subscriptionID: id)) } }
        }
    }

    func closeLiveSubscriptions(_ url: RelayURL) async {
        guard var state = relays[url], let session = state.session else { return }
        let ids = Array(state.liveSubscriptions.keys)
        state.resetLiveState()
        relays[url] = state
        if ids.isEmpty { return }
        spawn { for id in ids { try? await session.send(.close(subscriptionID: id)) } }
    }

    /// The relay ended one of our live subscriptions with CLOSED (decisions: A CLOSED ends the request; e.g. a `rate-limited:`
    /// refusal of the REQ itself). Forget it, so its filters are not taken for open. A refusal
    /// for the relay's subscription cap consolidates the live set at once; other refusals keep
    /// the filters for `reopenRefusedLiveSubscriptions` (end of the rate-limit cooldown).
    /// CLOSEDs of historic requests are handled by their waiters.
    func liveSubscriptionClosed(_ url: RelayURL, id: String, reason: String, generation: Int) {
        guard var state = relays[url], state.generation == generation,
              let filters = state.liveSubscriptions.removeValue(forKey: id) else { return }
        logger.warning("relay \(url) closed live subscription \(id): \(reason)")
        switch RefusalClassifier.classify(reason) {
        case .subscriptionCap:
            // The live set outgrew the relay's cap: rebuild it within what the relay takes
            // (the refused filters are part of the confirmed and pending items it is built from).
            state.learnSubscriptionCap(from: reason, openNow: state.liveSubscriptions.count + 1)
            relays[url] = state
            openLiveSubscriptions(url, filters: [], forceConsolidation: true)
            return
        case .tooLarge:
            // The relay takes smaller filters: learn its limit, then open the same filters again
            // cut to it (down to one value each; a filter refused even then stays closed).
            relays[url] = state
            learnedRequestTooLarge(url, generation: generation, refusedBytes: filters.map(\.largestValueListCost).max() ?? 0)
            let limits = relays[url]?.requestLimits ?? configuration.requestLimits
            let smaller = filters.flatMap { SyncFilterBuilder.split($0, toFit: limits) }
            if smaller != filters { openLiveSubscriptions(url, filters: smaller) }
            return
        default:
            break
        }
        state.refusedLiveFilters += filters
        relays[url] = state
    }

    /// A historic request was refused for the relay's subscription cap: consolidate the
    /// live set (closing the old one first) and return once the CLOSEs and the new REQs are
    /// sent, so the caller's retry finds room.
    public func relieveSubscriptionPressure(_ url: RelayURL, reason: String) async {
        guard var state = relays[url] else { return }
        let before = state.subscriptionCap
        state.learnSubscriptionCap(from: reason, openNow: state.liveSubscriptions.count + configuration.historicRequestsPerRelay)
        relays[url] = state
        // Already consolidated within the cap as known: nothing to gain by rebuilding.
        guard !state.liveConsolidated || state.subscriptionCap != before
            || state.liveSubscriptions.count > liveSubscriptionBudget(state) else { return }
        await openLiveSubscriptions(url, filters: [], forceConsolidation: true)?.value
    }

    /// Live subscriptions the relay may hold: the configured maximum, and within a learned
    /// cap room for the historic requests and NIP-77 sessions of the same connection.
    func liveSubscriptionBudget(_ state: RelaySyncState) -> Int {
        guard let cap = state.subscriptionCap else { return configuration.maxLiveSubscriptions }
        return max(1, min(configuration.maxLiveSubscriptions, cap - configuration.historicRequestsPerRelay - 2))
    }

    /// Opens again the live subscriptions the relay closed (called when its rate-limit
    /// cooldown ends).
    func reopenRefusedLiveSubscriptions(_ url: RelayURL) {
        guard var state = relays[url], state.session != nil, !state.refusedLiveFilters.isEmpty else { return }
        let filters = state.refusedLiveFilters
        state.refusedLiveFilters = []
        relays[url] = state
        logger.info("reopening \(filters.count) live subscription(s) on \(url) closed by the relay")
        openLiveSubscriptions(url, filters: filters)
    }

    // MARK: - Rate limits

    /// Suspends the caller (a historic batch task, never the coordinator) until the relay's
    /// rate-limit cooldown ends or the connection goes away (a scheduled continuation; decisions: Rate-limited work waits off the engine).
    public func waitForRateLimitEnd(_ url: RelayURL) async {
        guard await health.isRateLimited(url.description), relays[url]?.session != nil, !stopped else { return }
        await withCheckedContinuation { continuation in
            rateLimitWaiters[url, default: []].append(continuation)
            notifyIdleWatchers()
        }
    }

    func resumeRateLimitWaiters(_ url: RelayURL) {
        let waiters = rateLimitWaiters.removeValue(forKey: url) ?? []
        for w in waiters { w.resume() }
    }
}
