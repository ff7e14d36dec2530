import Foundation
import Health
import Nostr
import Store
import SyncMetrics
import Reconcile

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
                relays[url]?.gates.failed(retry)
                emit(.connectionAttempt(url, result: .failure))
                logger.warning("connecting to \(url) failed: \(failure.message); next attempt at \(DurationText.instant(retry.retryAt, now: clock.now()))")
            case .connectionLost(let failure):
                let retry = await health.recordFailure(url.description, kind: failure.kind, message: failure.message)
                relays[url]?.gates.failed(retry)
                stateDirty = true
                logger.warning("relay \(url) disconnected: \(failure.message)")
            case .connectionClosed:
                await health.recordDisconnect(url.description)
                stateDirty = true
                logger.warning("relay \(url) disconnected")
            case .removeRelay:
                removeRelay(url)
            case .resumeOwedWork:
                if relays[url]?.gates.isRateLimited(at: now) != true { await recompute(only: [url]) }
            }
        }
    }

    /// The lifecycle moved a relay from `from` to `to`: one log line naming the reason, and
    /// the change published.
    func statusChanged(_ url: RelayURL, from: RelayConnectionStatus, to: RelayConnectionStatus, reason: String) {
        logger.info("relay \(url): \(from) -> \(to) (\(reason))")
        diffRevision += 1
        emit(.connectionStatusChanged(url, to))
        // A historic sync ended: its batches' buffers, listings and pages are gone, and glibc
        // would otherwise keep the freed memory (at a million events, 100-190 MB).
        if from == .syncing && to != .syncing { HeapTrim.trimInBackground() }
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
        guard let link = relays[url]?.link else { return }
        await health.recordAttempt(url.description)
        spawn { [weak self] in
            do throws(RelayLinkFailure) {
                let session = try await link.connect()
                await self?.connected(url, session: session, generation: generation)
            } catch {
                await self?.connectFailed(url, failure: error, generation: generation)
            }
        }
    }

    /// T3: Connecting -> Disconnected with the failure recorded in the health tracker.
    func connectFailed(_ url: RelayURL, failure linkFailure: RelayLinkFailure, generation: Int) async {
        let failure = RelayLifecycleStateMachine.Failure(kind: linkFailure.kind, message: linkFailure.message)
        guard let actions = relays[url]?.lifecycle.connectFailed(generation: generation, failure: failure),
              !actions.isEmpty else { return }
        relays[url]?.lastError = linkFailure.message
        await perform(actions, for: url)
    }

    /// T4/T5: the connection is open; the lifecycle chooses quick reconnect or fresh start.
    func connected(_ url: RelayURL, session: any RelayLinkSession, generation: Int) async {
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
        await health.recordSuccess(url.description)
        relays[url]?.gates.succeeded()
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
        state.outbox = RelayOutbox(session: session, onSent: { [weak self] in await self?.liveChangeSent() })
        state.lastError = nil
        relays[url] = state
        let channel = await state.link.startReading(session, generation: generation, signals: self)
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
    func follow(_ link: any RelayLink, url: RelayURL) {
        taskCounter += 1
        let taskID = taskCounter
        workers[taskID] = Task { [weak self] in
            for await event in link.events {
                guard let self else { return }
                await self.connectionEvent(event, url: url)
            }
            await self?.taskFinished(taskID)
        }
    }

    func connectionEvent(_ event: RelayLinkEvent, url: RelayURL) async {
        switch event {
        case .delivered:
            relayDelivered(url)
        case .subscriptionClosed(let generation, let id, let reason):
            liveSubscriptionClosed(url, id: id, reason: reason, generation: generation)
        case .ended(let generation, let failure):
            await connectionEnded(url, generation: generation, failure: failure)
        }
    }

    /// T7/T9: the connection ended, unexpectedly or because we dropped the relay.
    func connectionEnded(_ url: RelayURL, generation: Int, failure linkFailure: RelayLinkFailure?) async {
        let failure = linkFailure.map { RelayLifecycleStateMachine.Failure(kind: $0.kind, message: $0.message) }
        guard var state = relays[url] else { return }
        let actions = state.lifecycle.connectionEnded(at: now, generation: generation, failure: failure)
        guard !actions.isEmpty else { return }
        state.session = nil
        state.outbox?.finish()
        state.outbox = nil
        if let linkFailure { state.lastError = linkFailure.message }
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
        let link = relays[url]?.link
        // Its loop ends once the batches already handed over have reported.
        relays[url]?.reconciler.finishBatches()
        relays[url]?.outbox?.finish()
        reconcilerLoops[url] = nil
        relays[url] = nil
        diffRevision += 1
        if let link { spawn { await link.finish() } }
        confirmed.remove(relay: url)
        _ = pending.removeAll(for: url)
        emit(.relayRemoved(url))
        let health = self.health
        spawn { await health.remove(url.description) }
        stateDirty = true
        logger.info("stopped tracking relay \(url)")
    }

    // MARK: - Live subscriptions

    /// Opens live (`limit: 0`) subscriptions for `filters` not already streaming, by the
    /// relay's ``LiveSubscriptionSet`` rules (per filter while small, consolidated past the
    /// threshold, one relay-wide filter for a GRASP server). `consolidate` consolidates now
    /// (new set first); `forceConsolidation` too, closing the old set first.
    func openLiveSubscriptions(_ url: RelayURL, filters: [Filter], consolidate: Bool = false,
                               forceConsolidation: Bool = false) {
        guard var state = relays[url], state.session != nil else { return }
        let change = state.live.open(filters, graspServer: state.graspServer == true, consolidate: consolidate,
                                     force: forceConsolidation, requestLimits: state.requestLimits,
                                     items: { liveItems(url) }, nextID: { nextSubscriptionID("live") })
        relays[url] = state
        send(change, to: url)
    }

    /// Everything the relay's live set must stream: its confirmed and pending items.
    func liveItems(_ url: RelayURL) -> RelaySyncNeeds {
        var needs = confirmed.needs(for: url)
        for batch in pending.batches(for: url) {
            for (ref, level) in batch.repos { needs.insert(ref, level: level) }
            needs.rootEvents.formUnion(batch.rootEvents)
        }
        return needs
    }

    /// Queues a live-set change in the relay's outbox (CLOSEs first when it says so).
    func send(_ change: LiveSubscriptionSet.Change, to url: RelayURL) {
        if let c = change.consolidated {
            logger.info("consolidating \(c.replaced) live subscriptions on \(url) into \(change.open.count) (\(c.repos) repos, \(c.rootEvents) root events)")
        }
        if let roots = change.approximatedRootEvents {
            logger.warning("relay \(url): live replies to \(roots) root events would need more than \(configuration.maxLiveSubscriptions) subscriptions; streaming them by kind instead (\(SyncFilterBuilder.rootEventReplyKinds.map(String.init).joined(separator: ",")))")
        }
        guard !change.isEmpty else { return }
        let closes = change.close.map { ClientMessage.close(subscriptionID: $0) }
        let reqs = change.open.map { ClientMessage.req(subscriptionID: $0.id, filters: $0.filters) }
        enqueue(change.closeFirst ? closes + reqs : reqs + closes, to: url)
    }

    /// Queues `messages` in the relay's outbox, counted until sent.
    func enqueue(_ messages: [ClientMessage], to url: RelayURL) {
        guard let outbox = relays[url]?.outbox, outbox.enqueue(messages) else { return }
        liveChangesQueued += 1
    }

    /// An outbox sent one queued change.
    func liveChangeSent() {
        guard !stopped else { return }
        liveChangesQueued -= 1
        notifyIdleWatchers()
    }

    func closeLiveSubscriptions(_ url: RelayURL) async {
        guard var state = relays[url], state.session != nil else { return }
        let ids = state.live.reset()
        relays[url] = state
        if ids.isEmpty { return }
        enqueue(ids.map { ClientMessage.close(subscriptionID: $0) }, to: url)
    }

    /// The relay ended one of our live subscriptions with CLOSED (decisions: A CLOSED ends
    /// the request; e.g. a `rate-limited:` refusal of the REQ itself). Forget it, so its
    /// filters are not taken for open. A refusal for the relay's subscription cap
    /// consolidates the live set at once; other refusals keep the filters for
    /// `reopenRefusedLiveSubscriptions` (end of the rate-limit cooldown). CLOSEDs of historic
    /// requests are handled by their waiters.
    func liveSubscriptionClosed(_ url: RelayURL, id: String, reason: String, generation: Int) {
        guard var state = relays[url], state.generation == generation, let filters = state.live.closed(id) else { return }
        logger.warning("relay \(url) closed live subscription \(id): \(reason)")
        switch RefusalClassifier.classify(reason) {
        case .subscriptionCap:
            // The live set outgrew the relay's cap: rebuild it within what the relay takes
            // (the refused filters are part of the confirmed and pending items it is built from).
            state.live.learnSubscriptionCap(from: reason, openNow: state.live.subscriptions.count + 1)
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
        state.live.keepRefused(filters)
        relays[url] = state
    }

    /// A historic request was refused for the relay's subscription cap: consolidate the
    /// live set (closing the old one first) and return once the CLOSEs and the new REQs are
    /// sent, so the caller's retry finds room.
    public func relieveSubscriptionPressure(_ url: RelayURL, reason: String) async {
        guard var state = relays[url] else { return }
        let before = state.live.subscriptionCap
        state.live.learnSubscriptionCap(from: reason, openNow: state.live.subscriptions.count + configuration.historicRequestsPerRelay)
        relays[url] = state
        // Already consolidated within the cap as known: nothing to gain by rebuilding.
        guard !state.live.consolidated || state.live.subscriptionCap != before
            || state.live.subscriptions.count > state.live.budget else { return }
        openLiveSubscriptions(url, filters: [], forceConsolidation: true)
        await relays[url]?.outbox?.sent()
    }

    /// Opens again the live subscriptions the relay closed (called when its rate-limit
    /// cooldown ends).
    func reopenRefusedLiveSubscriptions(_ url: RelayURL) {
        guard var state = relays[url], state.session != nil, !state.live.refused.isEmpty else { return }
        let filters = state.live.takeRefused()
        relays[url] = state
        logger.info("reopening \(filters.count) live subscription(s) on \(url) closed by the relay")
        openLiveSubscriptions(url, filters: filters)
    }

    // MARK: - Rate limits

    /// Suspends the caller (a historic batch task, never the coordinator) until the relay's
    /// rate-limit cooldown ends or the connection goes away (a scheduled continuation; decisions: Rate-limited work waits off the engine).
    public func waitForRateLimitEnd(_ url: RelayURL) async {
        guard relays[url]?.gates.isRateLimited(at: now) == true, relays[url]?.session != nil, !stopped else { return }
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
