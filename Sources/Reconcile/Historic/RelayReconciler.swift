import Foundation
import Logging
import Nostr

/// Historic sync against one remote relay: runs the batches the scheduler hands it over the
/// relay's current connection (NIP-77 against the local store where the relay does it,
/// REQ/EOSE pagination where it does not, id fetches in both cases), and owns what those
/// batches share: the relay's NIP-77 session and REQ slots, the ledger of ids being fetched
/// over the connection, and what the relay taught about NIP-77.
///
/// One per tracked relay, kept across reconnects (`connectionOpened` starts each
/// connection's ledger). The scheduler hands it batches on its batch stream (``submit(_:)``)
/// and hears how each ended on a report stream (``runBatches(reportingTo:)``); a batch's
/// filter work reports here. ``run(_:)`` runs one batch directly (tests, benchmarks).
public actor RelayReconciler {
    public nonisolated let relay: RelayURL
    let configuration: ReconcilerConfiguration
    let local: any LocalItemSource
    let clock: any NodeClock
    let classify: @Sendable (String) -> RelayRefusal
    let logger: Logger
    weak var host: (any RelayReconcilerHost)?
    /// Bounds the NIP-77 sessions run against the relay at once.
    let negentropySlots: AsyncSlots
    /// Bounds the historic REQs (id fetches, pages) open on the relay at once.
    let requestSlots: AsyncSlots
    private var generation = 0
    private var channel: (any HistoricRelayChannel)?
    /// Ids being fetched over the current connection, shared by its batches (new for every
    /// connection: a fetch of a lost connection must not hold up the next one's batches).
    private var fetchLedger = IdFetchLedger()
    /// Ids the current connection's fetches hold claimed (tests).
    var claimedIDCount: Int { get async { await fetchLedger.claimedCount } }
    private var subscriptionCounter = 0
    /// Read without a hop by the scheduler when it sizes a batch's filters.
    private let support = SupportBox()
    /// The batch stream: the scheduler yields, ``runBatches(reportingTo:)`` consumes.
    private let submitted: AsyncStream<HistoricBatch>
    private nonisolated let submissions: AsyncStream<HistoricBatch>.Continuation

    public init(relay: RelayURL, configuration: ReconcilerConfiguration, local: any LocalItemSource, clock: any NodeClock,
                host: (any RelayReconcilerHost)?, classify: @escaping @Sendable (String) -> RelayRefusal,
                logger: Logger = Logger(label: "grasp-sync.reconcile")) {
        self.relay = relay
        self.configuration = configuration
        self.local = local
        self.clock = clock
        self.host = host
        self.classify = classify
        self.logger = logger
        negentropySlots = AsyncSlots(capacity: configuration.negentropySessions)
        requestSlots = AsyncSlots(capacity: configuration.historicRequests)
        // Unbounded: a batch is registered as pending before it is handed over, so none may
        // be dropped; the scheduler sends one per relay and filter change, not per event.
        (submitted, submissions) = AsyncStream.makeStream(of: HistoricBatch.self, bufferingPolicy: .unbounded)
    }

    // MARK: - NIP-77 support (learned from behaviour, re-probed daily)

    /// What the relay's behaviour said about NIP-77 so far.
    public nonisolated var negentropySupport: NegentropySupport {
        get { support.value }
        set { support.value = newValue }
    }

    /// Whether the next session may try NIP-77.
    public nonisolated var negentropyAllowed: Bool {
        !configuration.disableNegentropy && support.value != .unsupported
    }

    /// Records what a session taught about NIP-77 (sessions of an older connection are ignored).
    func learnedNegentropy(generation: Int, supported: Bool, reason: String? = nil) {
        guard generation == self.generation else { return }
        let new: NegentropySupport = supported ? .supported : .unsupported
        guard support.value != new else { return }
        if !supported { logger.info("relay \(relay) does not do NIP-77 (\(reason ?? "")); using REQ/EOSE") }
        support.value = new
    }

    // MARK: - Connections

    /// A new connection to the relay: later batches run over `channel`; batches of older
    /// connections abort.
    public func connectionOpened(generation: Int, channel: any HistoricRelayChannel) {
        self.generation = generation
        self.channel = channel
        fetchLedger = IdFetchLedger()
    }

    /// A subscription id unique on the relay's connections (`prefix-n`).
    func nextSubscriptionID(_ prefix: String) -> String {
        subscriptionCounter += 1
        return "\(prefix)-\(subscriptionCounter)"
    }

    // MARK: - Batches

    /// Hands the reconciler a batch (the scheduler's end of the batch stream); false once the
    /// stream is finished, when the batch will not run.
    @discardableResult
    public nonisolated func submit(_ batch: HistoricBatch) -> Bool {
        if case .terminated = submissions.yield(batch) { return false }
        return true
    }

    /// Ends the batch stream: ``runBatches(reportingTo:)`` returns once the batches already
    /// submitted have run and been reported (the relay is no longer tracked).
    public nonisolated func finishBatches() {
        submissions.finish()
    }

    /// Runs every submitted batch, side by side (the relay's NIP-77 and REQ slots bound the
    /// requests they send), and yields each one's outcome on `reports`; returns when the batch
    /// stream is finished and every batch reported, or when cancelled (node shutdown: the
    /// batches in flight are cancelled with it).
    public func runBatches(reportingTo reports: AsyncStream<HistoricReport>.Continuation) async {
        let batches = submitted
        await withDiscardingTaskGroup { group in
            for await batch in batches {
                group.addTask { [self] in
                    let outcome = await run(batch)
                    reports.yield(HistoricReport(relay: relay, batchID: batch.id, generation: batch.generation, outcome: outcome))
                }
            }
        }
    }

    /// Runs one batch to its end and returns how it ended: `.aborted` when its connection
    /// is not the current one or went away, `.failed` when data could not be obtained.
    public func run(_ batch: HistoricBatch) async -> HistoricOutcome {
        guard batch.generation == generation, let channel else { return .aborted }
        let context = HistoricSyncContext(
            relay: relay, generation: generation, channel: channel, local: local, clock: clock,
            configuration: configuration, classify: classify, reconciler: self,
            negentropySlots: negentropySlots, requestSlots: requestSlots, fetchLedger: fetchLedger)
        // The batch's work runs off this actor (listings and sessions of several filters side
        // by side); it reports here through the context.
        return await context.run(batch, allowed: { [self] in negentropyAllowed })
    }

    // MARK: - What sessions report

    /// One NIP-77 session failed for a reason that does not say the relay lacks NIP-77: that
    /// filter goes through REQ/EOSE, NIP-77 stays in use.
    func negentropySessionFailed(reason: String) {
        logger.warning("relay \(relay): NIP-77 session failed (\(reason)); syncing that filter with REQ/EOSE")
    }

    /// The relay-wide session's cost (logged: it is the re-sync's whole network cost).
    func relayWideReconciled(rounds: Int, bytesSent: Int, bytesReceived: Int, need: Int, fetching: Int) {
        logger.info("relay \(relay): relay-wide reconciliation in \(rounds) rounds, \(bytesSent) bytes up, \(bytesReceived) down; \(need) missing, \(fetching) to fetch")
    }

    /// A relay-wide reconciliation failed for a reason other than NIP-77 support: the batch
    /// runs its item filters.
    func relayWideFailed(reason: String) {
        logger.warning("relay \(relay): relay-wide reconciliation failed (\(reason)); syncing the batch with its item filters")
    }

    /// Forwards a "too large" refusal to the engine, which shrinks the relay's limits.
    func learnedTooLarge(generation: Int, refusedBytes: Int) async {
        await host?.learnedRequestTooLarge(relay, generation: generation, refusedBytes: refusedBytes)
    }

    func waitForRateLimitEnd() async {
        await host?.waitForRateLimitEnd(relay)
    }

    func relieveSubscriptionPressure(reason: String) async {
        await host?.relieveSubscriptionPressure(relay, reason: reason)
    }
}

/// A lock-protected NIP-77 support value (read by the scheduler without an actor hop).
private final class SupportBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = NegentropySupport.unknown
    var value: NegentropySupport {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
