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

    /// Moves a relay to `status`, with one log line naming the reason.
    func setStatus(_ url: RelayURL, _ status: RelayConnectionStatus, reason: String) {
        guard var state = relays[url], state.status != status else { return }
        logger.info("relay \(url): \(state.status) -> \(status) (\(reason))")
        state.status = status
        relays[url] = state
        diffRevision += 1
        emit(.connectionStatusChanged(url, status))
    }

    // MARK: - Connecting (T2-T5)

    /// T2: Disconnected -> Connecting, then one attempt in the background.
    func connect(_ url: RelayURL) async {
        guard var state = relays[url], state.status == .disconnected, !stopped else { return }
        state.generation += 1
        let generation = state.generation
        relays[url] = state
        setStatus(url, .connecting, reason: "connection attempt")
        await health.recordAttempt(url.description)
        let connection = state.connection
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
        guard var state = relays[url], state.generation == generation, state.status == .connecting else { return }
        state.lastError = error.description
        relays[url] = state
        setStatus(url, .disconnected, reason: "connect failed: \(error)")
        let action = await health.recordFailure(url.description, kind: error.failureKind, message: error.description)
        emit(.connectionAttempt(url, result: .failure))
        logger.warning("connecting to \(url) failed: \(error); next attempt at \(DurationText.instant(action.retryAt, now: clock.now()))")
    }

    /// T4/T5: the connection is open; choose quick reconnect or fresh start.
    func connected(_ url: RelayURL, session: any RelaySession, generation: Int) async {
        guard var state = relays[url], state.generation == generation, state.status == .connecting, !stopped else {
            await session.close()
            return
        }
        if await refreshRelayInformationIfStale(url) {
            // Re-validated after the await: the connection may have ended meanwhile.
            guard let current = relays[url], current.generation == generation, current.status == .connecting, !stopped else {
                await session.close()
                return
            }
            state = current
        }
        _ = await health.recordSuccess(url.description)
        emit(.connectionAttempt(url, result: .success))
        let now = self.now
        let previousDisconnect = state.disconnectedAt
        state.session = session
        state.connectedAt = now
        state.disconnectedAt = nil
        state.lastError = nil
        state.liveSubscriptions = [:]
        state.liveConsolidated = false
        state.liveLayer3Approximate = false
        state.refusedLiveFilters = []
        state.quietSince = nil
        state.fetchLedger = IdFetchLedger()
        state.nextDailyResync = now + randomDelay(in: configuration.dailyResyncRange)
        relays[url] = state
        let router = SubscriptionRouter()
        routers[url] = router
        setStatus(url, .syncing, reason: "connected")
        startWorker(url, session: session, router: router, generation: generation)
        // W1/W2: decided on the time since the disconnect, not since the last connect.
        if let previousDisconnect, now - previousDisconnect < configuration.quickReconnectWindow {
            let since = Int64(previousDisconnect - configuration.catchUpMargin)
            lastStrategy[url] = .quickReconnect(since: since)
            await quickReconnect(url, since: since)
        } else {
            lastStrategy[url] = .freshStart
            await freshStart(url)
        }
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
        state.historicFailures = false
        state.announcementsSynced = false
        relays[url] = state
        await closeLiveSubscriptions(url)
        startBatch(relay: url, needs: RelaySyncNeeds(), since: nil, isGeneric: true)
        await recompute(only: [url])
        stateDirty = true
    }

    /// Quick reconnect (W1-W3): catch up every layer (L1, state, L2, L3) of what was
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

    /// Daily resync (W12): back to Syncing, re-probe NIP-77, fresh start.
    func dailyResync(_ url: RelayURL) async {
        guard var state = relays[url], state.status.isConnected else { return }
        state.negentropy = .unknown
        state.nextDailyResync = now + randomDelay(in: configuration.dailyResyncRange)
        state.quietSince = nil
        relays[url] = state
        setStatus(url, .syncing, reason: "daily resync")
        _ = await refreshRelayInformationIfStale(url)
        await freshStart(url)
    }

    // MARK: - The connection's message loop

    /// Reads the relay's messages: ingests events, feeds rate-limit signals to health, and
    /// routes everything with a subscription id to whoever waits for it.
    func startWorker(_ url: RelayURL, session: any RelaySession, router: SubscriptionRouter, generation: Int) {
        let ingestor = self.ingestor
        let health = self.health
        let clock = self.clock
        let emit = self.emit
        taskCounter += 1
        let taskID = taskCounter
        workers[taskID] = Task { [weak self] in
            let key = url.description
            let messages = session.messages
            // Messages are handled in batches of whatever is already buffered (up to 1,000
            // events): the batch's events are ingested first (one commit, parallel
            // verification), then every message is handled and routed in arrival order, so an
            // EOSE always follows its events into the store, and a burst of small responses
            // shares one commit instead of one each.
            var pending: [RelayMessage] = []
            var pendingEvents = 0
            func flush() async {
                guard !pending.isEmpty else { return }
                let events = pending.compactMap { m -> NostrEvent? in if case .event(_, let e) = m { return e } else { return nil } }
                if !events.isEmpty {
                    let saved = ingestor.ingest(batch: events, skipKnownRejected: true).filter { $0 == .saved }.count
                    if saved > 0 { emit(.eventsSynced(url, count: saved)) }
                    if saved > 0 { await self?.relayDelivered(url) }
                }
                for message in pending {
                    switch message {
                    case .notice(let text):
                        _ = await health.observeNotice(key, text: text)
                    case .closed(let id, let reason):
                        _ = await health.observeClosed(key, reason: reason)
                        await self?.liveSubscriptionClosed(url, id: id, reason: reason, generation: generation)
                    case .ok(_, let accepted, let text):
                        _ = await health.observeOK(key, accepted: accepted, message: text)
                    default:
                        break
                    }
                    router.route(message, now: clock.now())
                }
                pending.removeAll(keepingCapacity: true)
                pendingEvents = 0
            }
            for await message in messages {
                pending.append(message)
                if case .event = message { pendingEvents += 1 }
                if messages.bufferedCount == 0 || pendingEvents >= 1_000 { await flush() }
            }
            await flush()
            router.closeAll()
            await self?.connectionEnded(url, generation: generation, reason: await session.closeReason())
            await self?.taskFinished(taskID)
        }
    }

    /// T7/T9: the connection ended, unexpectedly or because we dropped the relay.
    func connectionEnded(_ url: RelayURL, generation: Int, reason: TransportError?) async {
        guard var state = relays[url], state.generation == generation else { return }
        let intentional = state.status == .disconnecting
        state.session = nil
        state.disconnectedAt = now
        state.liveSubscriptions = [:]
        state.liveConsolidated = false
        state.liveLayer3Approximate = false
        state.refusedLiveFilters = []
        state.quietSince = nil
        if let reason { state.lastError = reason.description }
        relays[url] = state
        routers[url] = nil
        _ = pending.removeAll(for: url)
        resumeRateLimitWaiters(url)
        if intentional {
            removeRelay(url)
            return
        }
        setStatus(url, .disconnected, reason: reason.map { "connection lost: \($0)" } ?? "connection closed")
        if let reason {
            _ = await health.recordFailure(url.description, kind: reason.failureKind, message: reason.description)
        } else {
            await health.recordDisconnect(url.description)
        }
        stateDirty = true
        logger.warning("relay \(url) disconnected\(reason.map { ": \($0)" } ?? "")")
    }

    /// T8: nothing targets the relay any more (W10): close it; T9 removes it.
    func drop(_ url: RelayURL) async {
        guard let state = relays[url] else { return }
        if let session = state.session, state.status.isConnected {
            setStatus(url, .disconnecting, reason: "no accepted announcement targets it any more")
            spawn { await session.close() }
        } else if state.status == .disconnected {
            removeRelay(url)
        }
    }

    func removeRelay(_ url: RelayURL) {
        relays[url] = nil
        diffRevision += 1
        routers[url] = nil
        confirmed.remove(relay: url)
        _ = pending.removeAll(for: url)
        emit(.relayRemoved(url))
        let health = self.health
        spawn { await health.remove(url.description) }
        stateDirty = true
        logger.info("stopped tracking relay \(url)")
    }

    // MARK: - Live subscriptions

    /// Opens live (`limit: 0`) subscriptions for `filters` not already streaming. While the
    /// relay's set is small each filter is its own REQ (reference §5.6). When the count would
    /// pass the consolidation threshold the whole set is replaced by a consolidated one (new
    /// set first, then close the old: W5), rebuilt from the confirmed and pending items with
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
        let overThreshold = state.liveSubscriptions.count + freshGroups.count > configuration.consolidationThreshold
        let overBudget = state.liveConsolidated && !state.liveLayer3Approximate
            && state.liveSubscriptions.count + freshGroups.count > configuration.maxLiveSubscriptions
        if consolidating || forceConsolidation || (!state.liveConsolidated && overThreshold) || overBudget {
            // Everything live comes from the confirmed and pending items (fresh filters belong
            // to pending batches), so the new set is rebuilt from them, not from the old set.
            var needs = confirmed.needs(for: url)
            for batch in pending.batches(for: url) {
                for (ref, level) in batch.repos { needs.insert(ref, level: level) }
                needs.rootEvents.formUnion(batch.rootEvents)
            }
            let (groups, approximate) = SyncFilterBuilder.consolidatedLiveFilters(
                repos: needs.repos, rootEvents: needs.rootEvents, limits: state.requestLimits,
                maxSubscriptions: configuration.maxLiveSubscriptions, perSubscription: perREQ)
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
        state.liveSubscriptions = [:]
        state.liveConsolidated = false
        state.liveLayer3Approximate = false
        state.refusedLiveFilters = []
        relays[url] = state
        if ids.isEmpty { return }
        spawn { for id in ids { try? await session.send(.close(subscriptionID: id)) } }
    }

    /// The relay ended one of our live subscriptions with CLOSED (W19; e.g. a `rate-limited:`
    /// refusal of the REQ itself). Forget it, so its filters are not taken for open. A refusal
    /// for the relay's subscription cap consolidates the live set at once; other refusals keep
    /// the filters for `reopenRefusedLiveSubscriptions` (end of the rate-limit cooldown).
    /// CLOSEDs of historic requests are handled by their waiters.
    func liveSubscriptionClosed(_ url: RelayURL, id: String, reason: String, generation: Int) {
        guard var state = relays[url], state.generation == generation,
              let filters = state.liveSubscriptions.removeValue(forKey: id) else { return }
        logger.warning("relay \(url) closed live subscription \(id): \(reason)")
        switch RefusalClassifier.classify(reason) {
        case .subscriptionCap where !state.liveConsolidated:
            relays[url] = state
            openLiveSubscriptions(url, filters: filters, forceConsolidation: true)
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
    func relieveSubscriptionPressure(_ url: RelayURL) async {
        guard let state = relays[url], !state.liveConsolidated else { return }
        await openLiveSubscriptions(url, filters: [], forceConsolidation: true)?.value
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
    /// rate-limit cooldown ends or the connection goes away (W6: a scheduled continuation).
    func waitForRateLimitEnd(_ url: RelayURL) async {
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
