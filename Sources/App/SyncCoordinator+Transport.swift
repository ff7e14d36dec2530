import Health
import Layers
import Logging
import Nostr
import Store
import SyncMetrics
import Transport

extension SyncCoordinator {
    /// The engine wired to the node's stages: each relay's connection is Transport's
    /// connection actor over `transport` (delivered events ingested through the store,
    /// refusals reported to the health tracker), reconcilers list the store, GRASP servers
    /// are told by `relayInformation`'s NIP-11 documents, and the health tracker is `health`
    /// or a new one.
    public init(configuration: SyncConfiguration, ingestor: EventIngestor, transport: any RelayTransport,
                clock: any NodeClock = SystemClock(), randomSeed: UInt64 = UInt64.random(in: 0...UInt64.max),
                logger: Logger = Logger(label: "grasp-sync.sync"), relayInformation: (any RelayInformationFetching)? = nil,
                health: (any RelayHealthTracking)? = nil, emit: @escaping @Sendable (NodeEvent) -> Void = { _ in }) {
        // Naughty-list changes go out as they happen; the tick's snapshot only re-states them.
        let health = health ?? RelayHealthTracker(
            configuration: HealthConfiguration(baseBackoff: configuration.baseBackoff, maxBackoff: configuration.maxBackoff),
            now: { clock.now() }, onNaughtyListChange: { emit(.naughtyListChanged($0)) })
        let sink = SyncedEventSink(ingestor: ingestor, emit: emit)
        var probe: (@Sendable (RelayURL) async throws -> Bool)?
        if let relayInformation {
            probe = { url in try await relayInformation.information(for: url).isGraspServer }
        }
        let links: @Sendable (RelayURL) -> any RelayLink = { url in
            TransportRelayLink(connection: RemoteRelayConnection(url: url, transport: transport), sink: sink, clock: clock)
        }
        self.init(
            configuration: configuration, ingestor: ingestor,
            links: links,
            local: StoreItemSource(store: ingestor.store, rejected: ingestor.rejected), health: health, clock: clock,
            randomSeed: randomSeed, logger: logger, graspServerProbe: probe, emit: emit)
    }
}
