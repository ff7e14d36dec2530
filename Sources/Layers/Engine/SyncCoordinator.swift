import Foundation
import Health
import Logging
import Nostr
import Reconcile
import Store
import SyncMetrics

/// The GRASP-02 sync engine: owns the three indexes (desired, pending, confirmed) and every
/// remote relay's state, and executes the decisions of the Layers functions and the health
/// tracker.
///
/// It never awaits network I/O in the middle of a decision (decisions: Decide, record, then await): each operation
/// decides and records under the actor, then starts a task for the I/O, and that task
/// reports back through another actor call which re-validates (by connection generation)
/// before it changes anything. Time comes from the injected clock and advances only through
/// `tick()`, so tests run the whole engine in virtual time.
public actor SyncCoordinator {
    let configuration: SyncConfiguration
    let ingestor: EventIngestor
    /// Makes each tracked relay's connection.
    let links: @Sendable (RelayURL) -> any RelayLink
    /// The node's side of every reconciliation (the store).
    let local: any LocalItemSource
    let health: any RelayHealthTracking
    let clock: any NodeClock
    let logger: Logger
    let emit: @Sendable (NodeEvent) -> Void
    /// Tells from a relay's NIP-11 document whether it is a GRASP server (reconciled
    /// relay-wide on re-syncs); nil: never asked, every relay is synced with its item filters.
    let graspServerProbe: (@Sendable (RelayURL) async throws -> Bool)?
    var random: SplitMix64

    var desired = RepoSyncIndex() {
        didSet { desiredRevision += 1 }
    }
    /// Bumped on every change of `desired`; `relaysOwingWork()` recomputes only then.
    var desiredRevision = 0
    /// Confirmed state changed since it was last persisted (written from `tick`).
    var stateDirty = false
    var lastPersistedAt: Double?
    var lastCleanupAt: Double?
    /// The latest background write of the persisted state (writes run in call order).
    var persistWrite: Task<Void, Never>?
    var pending = PendingSyncIndex() {
        didSet { diffRevision += 1 }
    }
    var confirmed = ConfirmedSyncIndex() {
        didSet { diffRevision += 1 }
    }
    /// Bumped whenever an input of the three-way diff other than `desired` changes (pending,
    /// confirmed, a relay's status), so the completion check reuses the last diff until then.
    var diffRevision = 0
    var cachedOutstanding: (revision: Int, desiredRevision: Int, relays: Set<RelayURL>)?
    var relays: [RelayURL: RelaySyncState] = [:]
    /// Follows the store and batches what changes the desired index.
    let selfSubscriber: SelfSubscriber
    /// Events waiting in the self-subscriber's window (as of its last report).
    var selfSubscriberBuffered = 0
    /// Events the self-subscriber had seen when `selfSubscriberBuffered` was reported.
    var selfSubscriberBufferedAsOf = 0
    var subscriptionCounter = 0
    var tasks: [Int: Task<Void, Never>] = [:]
    var taskCounter = 0
    var rateLimitWaiters: [RelayURL: [CheckedContinuation<Void, Never>]] = [:]
    var selfSubscription: Task<Void, Never>?
    /// Connection read loops (they live as long as their connection; not awaited by `waitForIdle`).
    var workers: [Int: Task<Void, Never>] = [:]
    /// Every reconciler's batch reports (``RelayReconciler/runBatches(reportingTo:)``), applied
    /// in order by one consumer task.
    let batchReports: AsyncStream<HistoricReport>
    let batchReportInput: AsyncStream<HistoricReport>.Continuation
    var batchReportConsumer: Task<Void, Never>?
    /// Each tracked relay's reconciler loop, started with the relay's first batch.
    var reconcilerLoops: [RelayURL: Task<Void, Never>] = [:]
    /// Batches handed to reconcilers whose reports are not applied yet (`waitForIdle`).
    var batchesInFlight = 0
    /// Live-set changes queued in the relays' outboxes and not yet sent (`waitForIdle`).
    var liveChangesQueued = 0
    /// How each relay's latest connection was synced (status document, tests).
    var lastStrategy: [RelayURL: SyncStrategy] = [:]
    /// Store events seen by the self-subscriber so far.
    var acceptedSeen = 0
    /// `waitForIdle` callers waiting for a task to finish or park.
    var idleWatchers: [CheckedContinuation<Void, Never>] = []
    var stopped = false

    /// An engine over the given stages: `links` makes each relay's connection, `local` is the
    /// store as reconcilers list it, `health` the health tracker.
    public init(configuration: SyncConfiguration, ingestor: EventIngestor, links: @escaping @Sendable (RelayURL) -> any RelayLink,
                local: any LocalItemSource, health: any RelayHealthTracking, clock: any NodeClock = SystemClock(),
                randomSeed: UInt64 = UInt64.random(in: 0...UInt64.max), logger: Logger = Logger(label: "grasp-sync.sync"),
                graspServerProbe: (@Sendable (RelayURL) async throws -> Bool)? = nil,
                emit: @escaping @Sendable (NodeEvent) -> Void = { _ in }) {
        self.configuration = configuration
        self.graspServerProbe = graspServerProbe
        self.ingestor = ingestor
        self.links = links
        self.local = local
        self.health = health
        self.clock = clock
        self.logger = logger
        self.emit = emit
        self.random = SplitMix64(seed: randomSeed)
        self.selfSubscriber = SelfSubscriber(window: configuration.batchWindow, clock: clock)
        // Unbounded: one report per batch, and a dropped report would leave its batch pending.
        (batchReports, batchReportInput) = AsyncStream.makeStream(of: HistoricReport.self, bufferingPolicy: .unbounded)
    }

    var now: Double { clock.now() }

    /// A uniformly random delay (daily resync staggering), from the seeded generator.
    func randomDelay(in range: ClosedRange<Double>) -> Double {
        Double.random(in: range, using: &random)
    }

    // MARK: - Start and stop

    /// Loads persisted state and the desired index from the store, registers bootstrap
    /// relays and starts consuming the store's stream of accepted events. Call `tick()`
    /// afterwards (the node runs it every second) to connect and sync.
    public func start() async {
        loadPersistedState()
        preloadDesiredIndex()
        // The preload's announcements and tag rows are garbage now (at a million events
        // ~140 MB glibc would keep).
        HeapTrim.trimInBackground()
        lastPersistedAt = now
        for url in configuration.bootstrapRelays where !configuration.ownURLs.contains(url) {
            await register(url, bootstrap: true)
        }
        let stream = ingestor.store.subscribe()
        // Events published before this subscription are covered by the preload above.
        acceptedSeen = ingestor.store.publishedEventCount
        await selfSubscriber.follow(stream, seenAtStart: acceptedSeen)
        let outputs = selfSubscriber.outputs
        selfSubscription = Task { [weak self] in
            for await output in outputs {
                guard let self else { return }
                await self.selfSubscriberOutput(output)
            }
        }
    }

    /// Closes every connection, persists state and stops background work. Only the first
    /// call does anything (a later one would save "last seen now" for relays it closed).
    public func stop() async {
        guard !stopped else { return }
        stopped = true
        selfSubscription?.cancel()
        await selfSubscriber.stop()
        persistState()
        await flushPersistedState()
        for state in relays.values { await state.link.finish() }
        for task in tasks.values { task.cancel() }
        for task in workers.values { task.cancel() }
        for loop in reconcilerLoops.values { loop.cancel() }
        for state in relays.values { state.outbox?.finish() }
        liveChangesQueued = 0
        batchReportConsumer?.cancel()
        batchReportInput.finish()
        batchesInFlight = 0
        for (_, waiters) in rateLimitWaiters { waiters.forEach { $0.resume() } }
        rateLimitWaiters.removeAll()
        notifyIdleWatchers()
    }

    /// Waits until every request, batch (its report applied), live-set change (sent) and
    /// connect task has finished and the self-subscriber has seen every event the store
    /// published (tests and benchmarks drive the engine step by step with it; connection read
    /// loops keep running).
    public func waitForIdle() async {
        var quietRounds = 0
        while quietRounds < 3 {
            // Tasks parked until a rate-limit cooldown ends only move on a later tick.
            let parked = rateLimitWaiters.values.reduce(0) { $0 + $1.count }
            if tasks.count + batchesInFlight + liveChangesQueued <= parked && acceptedSeen >= ingestor.store.publishedEventCount {
                quietRounds += 1
                await Task.yield()
                continue
            }
            quietRounds = 0
            // Woken when a task finishes or parks, or the self-subscriber sees an event
            // (checked and registered in one actor turn, so no wake-up is missed).
            await withCheckedContinuation { idleWatchers.append($0) }
        }
    }

    /// Wakes `waitForIdle` callers to re-check.
    func notifyIdleWatchers() {
        let watchers = idleWatchers
        idleWatchers.removeAll()
        for w in watchers { w.resume() }
    }

    // MARK: - Registration

    func register(_ url: RelayURL, bootstrap: Bool) async {
        if configuration.ownURLs.contains(url) { return }
        if var state = relays[url] {
            if bootstrap && !state.isBootstrap {
                state.isBootstrap = true
                relays[url] = state
            }
            return
        }
        // At the cap a relay that never proved useful makes room (TrackedRelayEviction);
        // bootstrap relays are tracked even when none can.
        if relays.count >= configuration.maxTrackedRelays, !(await makeRoomForRelay(bootstrap: bootstrap)) {
            logger.warning("not tracking \(url): \(configuration.maxTrackedRelays) relays already tracked, none evictable")
            return
        }
        let state = newRelayState(url, bootstrap: bootstrap)
        relays[url] = state
        follow(state.link, url: url)
        diffRevision += 1
        await health.register(url.description)
        emit(.connectionStatusChanged(url, .disconnected))
        logger.info("tracking relay \(url)\(bootstrap ? " (bootstrap)" : "")")
    }

    /// A new relay record with the configured slots, request limits and lifecycle tunables.
    func newRelayState(_ url: RelayURL, bootstrap: Bool) -> RelaySyncState {
        let reconciler = RelayReconciler(
            relay: url, configuration: configuration.reconciler,
            local: local, clock: clock, host: self,
            classify: RefusalClassifier.classify, logger: logger)
        return RelaySyncState(isBootstrap: bootstrap, link: links(url),
                       reconciler: reconciler, requestLimits: configuration.requestLimits,
                       liveLimits: LiveSubscriptionSet.Limits(
                           consolidationThreshold: configuration.consolidationThreshold,
                           filtersPerSubscription: configuration.consolidatedFiltersPerSubscription,
                           maxSubscriptions: configuration.maxLiveSubscriptions,
                           historicRequests: configuration.historicRequestsPerRelay),
                       lifecycle: RelayLifecycleConfiguration(
                           quickReconnectWindow: configuration.quickReconnectWindow,
                           catchUpMargin: configuration.catchUpMargin, settleDelay: configuration.settleDelay))
    }

    // MARK: - Self-subscriber

    /// What the self-subscriber reported: its progress (idle detection and the completion
    /// check read it) or a batch an early flush released.
    func selfSubscriberOutput(_ output: SelfSubscriber.Output) async {
        switch output {
        case .progress(let seen, let buffered):
            acceptedSeen = max(acceptedSeen, seen)
            // A report sent before a flush the engine already applied is stale.
            if seen > selfSubscriberBufferedAsOf {
                selfSubscriberBuffered = buffered
                selfSubscriberBufferedAsOf = seen
            }
            notifyIdleWatchers()
        case .batch(let events):
            await applySelfSubscriberBatch(events)
        }
    }

    /// A historic batch completed: once the self-subscriber has seen every event stored so
    /// far (the batch's among them), its pending announcements and root events are applied
    /// at once instead of at the end of the window, so the next layer's filters go out
    /// without waiting (layer 1 -> 2 -> 3 in one pass each).
    func requestEarlyFlush() async {
        let flush = await selfSubscriber.flushWhenSeen(ingestor.store.publishedEventCount)
        await applyFlush(flush)
    }

    /// Applies a batch the self-subscriber released on request.
    func applyFlush(_ flush: SelfSubscriber.Flush) async {
        if flush.seen >= selfSubscriberBufferedAsOf {
            selfSubscriberBuffered = flush.buffered
            selfSubscriberBufferedAsOf = flush.seen
        }
        if let events = flush.events { await applySelfSubscriberBatch(events) }
    }

    /// Builds the desired index from announcements and root events already stored, so a
    /// restart resumes syncing every accepted repository.
    func preloadDesiredIndex() {
        do {
            let announcements = try ingestor.store.query([Filter(kinds: [NIP34.repoAnnouncement], limit: Int.max)], maxLimit: Int.max)
            _ = SelfSubscriberBatch.apply(announcements, to: &desired, ownURLs: configuration.ownURLs)
            // Root events only matter through their `a` tags: those are read from the tag
            // index instead of parsing every stored root event, and attached as they are read
            // (at a million events, ~400,000 roots: no list of them is built first).
            var index = desired
            try ingestor.store.forEachTagValue(named: "a", ofKinds: Array(NIP34.rootKinds).sorted()) { tagged in
                guard let ref = RepoRef(tagged.value), ref.kind == NIP34.repoAnnouncement else { return }
                _ = index.attach(rootEvent: tagged.eventID, to: [ref])
            }
            desired = index
        } catch {
            logger.error("could not preload the desired sync index: \(error)")
        }
    }

    /// Applies a flushed self-subscriber batch, then turns what is new into AddFilters.
    func applySelfSubscriberBatch(_ events: [NostrEvent]) async {
        let changed = SelfSubscriberBatch.apply(events, to: &desired, ownURLs: configuration.ownURLs)
        guard !changed.isEmpty else { return }
        await recompute(only: changed)
    }

    /// The three-way diff for every targeted relay (or only `only`), executed.
    func recompute(only: Set<RelayURL>? = nil) async {
        let targets = relayTargets()
        for url in targets.keys.sorted() where only == nil || only!.contains(url) {
            if relays[url] == nil { await register(url, bootstrap: false) }
        }
        let statuses = relays.mapValues(\.status)
        let actions = computeActions(targets: targets, pending: pending, confirmed: confirmed, relays: only, status: { statuses[$0] })
        for action in actions {
            await handle(action)
        }
    }

    /// The single sink of AddFilters (decisions: Connection status machine): live relays get live subscriptions
    /// and a historic batch; others get theirs after connecting (fresh start recomputes).
    func handle(_ action: AddFilters) async {
        guard let state = relays[action.relay], state.status.isConnected else { return }
        if state.gates.isRateLimited(at: now) {
            // Resumed by the recompute that follows the end of the cooldown.
            return
        }
        // The first batch after a fresh start of a GRASP server synced before covers every
        // item of the relay: reconciled relay-wide.
        let relayWide = state.relayWideNext
        if relayWide { relays[action.relay]?.relayWideNext = false }
        startBatch(relay: action.relay, needs: action.needs, since: nil, isGeneric: false, relayWide: relayWide)
    }
}

/// Reconcilers ask the engine to wait out rate limits, make room in a relay's
/// subscription table and record request limits they learned.
extension SyncCoordinator: RelayReconcilerHost {}
