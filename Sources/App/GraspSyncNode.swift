import Foundation
import Layers
import Logging
import Nostr
import Relay
import ServiceLifecycle
import Store
import SyncMetrics
import Transport

/// The running node: the event store, the acceptance policy, the served relay and (as they
/// land) the sync stages, composed and run under swift-service-lifecycle.
public final class GraspSyncNode: Sendable {
    public let configuration: NodeConfiguration
    public let store: SQLiteEventStore
    /// Runs WAL checkpoints off the commit path (on its own thread).
    let checkpointer: WALCheckpointer
    public let ingestor: EventIngestor
    public let relay: NostrRelay
    /// The GRASP-02 sync engine.
    public let coordinator: SyncCoordinator
    let observability: NodeObservability
    let clock: any NodeClock
    let logger: Logger
    /// When this node was created (Unix seconds), for the uptime on `/status` and `/`.
    let startedAt: Double

    /// Opens the store and restores saved state. Throws `NodeError` with a clear reason.
    public init(configuration: NodeConfiguration, clock: any NodeClock = SystemClock(), logger: Logger) throws(NodeError) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        startedAt = clock.now()
        do {
            try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw .dataDirectory("\(configuration.dataDirectory.path): \(error.localizedDescription)")
        }
        try Self.checkWritable(configuration.dataDirectory)
        AllocatorTuning.apply()
        store = try Self.openCheckedStore(path: configuration.databasePath)
        do {
            checkpointer = try WALCheckpointer(store: store, path: configuration.databasePath, onError: { [logger] in logger.error("\($0)") })
        } catch {
            throw .store("\(configuration.databasePath): \(error.description)")
        }
        let services = configuration.effectiveServiceURLs
        guard !services.isEmpty else { throw .configuration("no usable service URL") }
        let policy = AcceptancePolicy(configuration: AcceptancePolicyConfiguration(
            serviceURLs: services, requireCloneListing: configuration.requireCloneListing, archiveAll: configuration.archive))
        // Created before the stages that report to it: every metric arrives through its stream.
        let observer: NodeObservability
        do {
            observer = NodeObservability(metrics: try NodeMetrics(), logger: logger, now: { [clock] in clock.now() })
        } catch {
            throw .configuration("metrics: \(error)")
        }
        observability = observer
        let rejected = RejectedEventsIndex(observer: { observer.record(NodeEvent($0)) })
        do {
            if try rejected.restore(from: configuration.rejectedIndexURL, now: clock.now()) {
                logger.info("restored rejected-events index", metadata: ["hot": "\(rejected.sizes.hot)", "cold": "\(rejected.sizes.cold)"])
            }
        } catch {
            logger.error("could not restore the rejected-events index, starting empty: \(error)")
        }
        let deferred = DeferredEventsIndex(maxEvents: configuration.deferredMaxEvents, maxBytes: configuration.deferredMaxBytes)
        ingestor = EventIngestor(store: store, policy: policy, rejected: rejected, deferred: deferred, clock: clock, logger: logger)
        var information = RelayInformation()
        if configuration.archive { information.supportedGRASPs.append("GRASP-05") }
        let clientLimits = ClientLimits(
            eventsPerSecondPerConnection: configuration.eventsPerSecondPerConnection,
            eventBurstPerConnection: configuration.eventBurstPerConnection,
            eventsPerSecondPerIP: configuration.eventsPerSecondPerIP, eventBurstPerIP: configuration.eventBurstPerIP,
            maxConnectionsPerIP: configuration.maxConnectionsPerIP, maxConnections: configuration.maxConnections,
            trustedProxyHeader: configuration.trustedProxyHeader)
        relay = NostrRelay(ingestor: ingestor, information: information, clock: clock,
                           negentropyIdleTimeout: configuration.negentropyIdleTimeoutSeconds,
                           maxNegentropyItemsTotal: configuration.maxNegentropyItemsTotal, observer: observability,
                           clientLimits: clientLimits, logger: logger)
        var sync = SyncConfiguration(
            bootstrapRelays: configuration.bootstrapRelays, ownURLs: Set(services),
            batchWindow: Double(configuration.syncBatchWindowMilliseconds) / 1000,
            baseBackoff: configuration.syncBaseBackoffSeconds, maxBackoff: configuration.syncMaxBackoffSeconds,
            disableNegentropy: configuration.disableNegentropy, maxTrackedRelays: configuration.maxTrackedRelays)
        sync.requestLimits = RequestLimits(maxTagValueBytes: configuration.maxFilterValueBytes)
        sync.maxLiveSubscriptions = configuration.maxLiveSubscriptions
        sync.announcementRelayLimits = AnnouncementRelayLimits(
            maxPerAnnouncement: configuration.maxRelaysPerAnnouncement, maxPerAuthor: configuration.maxRelaysPerAuthor)
        let addressPolicy = AddressPolicy(allowPrivate: configuration.allowPrivateRelays, allowedHosts: configuration.allowedRelayHosts)
        let transport = WebSocketRelayTransport(
            configuration: WebSocketTransportConfiguration(
                addressPolicy: addressPolicy, maxDialsPerHostPerMinute: configuration.maxDialsPerHostPerMinute),
            logger: logger)
        // NIP-11 documents go through the same address rules as the WebSocket dials.
        let relayInformation: (any RelayInformationFetching)? = configuration.disableRelayWideResync
            ? nil : HTTPRelayInformationFetcher(addressPolicy: addressPolicy, logger: logger)
        coordinator = SyncCoordinator(configuration: sync, ingestor: ingestor, transport: transport, clock: clock, logger: logger,
                                      relayInformation: relayInformation, emit: { observer.record($0) })
        logger.info("service URLs: \(services.map(\.description).joined(separator: ", "))")
    }

    /// Runs until SIGTERM/SIGINT (or `shutdown` of the returned group), then saves state.
    /// `onServerRunning` reports the bound port.
    public func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = try RelayServer.makeApplication(
            relay: relay, host: configuration.host, port: configuration.port,
            timeouts: configuration.serverTimeouts,
            configureRouter: { [observability, clock, store, startedAt] router in
                observability.addEndpoints(to: router, node: { now in
                    RelayStatusNode(version: GraspSyncVersion.current, startedAt: startedAt, now: now,
                                    eventsByKind: (try? store.countsByKind()) ?? [])
                }, now: { clock.now() })
            },
            onServerRunning: { [logger] port in
                logger.info("listening on \(self.configuration.host):\(port)")
                await onServerRunning(port)
            },
            logger: logger)
        var services: [any Service] = [app]
        if configuration.syncEnabled { services.append(SyncService(coordinator: coordinator, interval: 1)) }
        // Shutdown is bounded whatever clients and peers do: each WebSocket gets our close
        // frame and `closeTimeout` to answer, then is dropped; anything still running after
        // `shutdownTimeoutSeconds` is cancelled (and given `shutdownCancelSeconds`).
        var groupConfiguration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .milliseconds(Int64(configuration.shutdownTimeoutSeconds * 1000))
        groupConfiguration.maximumCancellationDuration = .milliseconds(Int64(configuration.shutdownCancelSeconds * 1000))
        let group = ServiceGroup(configuration: groupConfiguration)
        checkpointer.start()
        // The metrics consumer outlives the services, so the events of their shutdown are
        // recorded too; the stream is finished once nothing produces any more.
        let metricsConsumer = Task { [observability] in await observability.run() }
        let outcome: Result<Void, any Error>
        do {
            try await group.run()
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        saveState()
        observability.finish()
        await metricsConsumer.value
        try outcome.get()
    }

    /// Persists state that must survive a restart.
    func saveState() {
        store.finishSubscribers()
        do {
            try ingestor.rejected.save(to: configuration.rejectedIndexURL, now: clock.now())
        } catch {
            logger.error("could not save the rejected-events index: \(error)")
        }
        checkpointer.stop()
        do {
            try store.checkpoint()
        } catch {
            logger.error("could not checkpoint the database WAL (events are safe in the -wal file): \(error)")
        }
        logger.info("state saved, stopped")
    }
}
