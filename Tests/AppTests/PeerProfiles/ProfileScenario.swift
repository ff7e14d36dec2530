import Layers
import App
import Foundation
import Health
import Nostr
import Store
import Transport
import TransportTestKit

/// Dials the profiled server whenever the corpus's peer URL is asked for (announcements name
/// `ws://peer.test`; the server listens on a free loopback port).
struct RedirectingTransport: RelayTransport {
    let inner: WebSocketRelayTransport
    let targets: [RelayURL: RelayURL]

    func connect(to url: RelayURL) async throws(TransportError) -> any RelaySession {
        try await inner.connect(to: targets[url] ?? url)
    }
}

/// A node's sync engine against a `ProfiledRelayServer` over real loopback sockets, with
/// virtual time. The engine's timers move only when the node and the peer are quiet: the
/// driver ticks, and advances the clock one second only after `quietPollsPerSecond` polls in
/// a row in which neither the node's store nor the peer's received messages moved. A reply
/// the peer is still computing costs at most a few virtual seconds (a request times out
/// after 60 of them), while real silence, such as a relay ignoring NEG-OPEN, meets its
/// timeout.
final class ProfileScenario: @unchecked Sendable {
    let clock: ManualClock
    let server: ProfiledRelayServer
    let store: SQLiteEventStore
    let ingestor: EventIngestor
    let configuration: SyncConfiguration
    let transport: RedirectingTransport
    private(set) var coordinator: SyncCoordinator
    private var seed: UInt64 = 1
    /// Quiet polls (2 ms apart) before virtual time moves one second.
    let quietPollsPerSecond = 50

    static var peer: RelayURL { ProfileCorpus.peerURL }

    convenience init(profile: PeerProfile, corpus: ProfileCorpus) async throws {
        try await self.init(profile: profile, events: corpus.events, created: corpus.createdAround)
    }

    /// A peer holding `events`, virtual time starting at `created`; `configure` adjusts the
    /// node's sync settings.
    init(profile: PeerProfile, events: [NostrEvent], created: Int64,
         configure: (inout SyncConfiguration) -> Void = { _ in }) async throws {
        clock = ManualClock(start: Double(created))
        server = try await ProfiledRelayServer.start(profile: profile, clock: clock)
        let results = server.ingest(events)
        precondition(results.allSatisfy { $0 == .saved }, "the peer refused part of the corpus")
        store = try SQLiteEventStore()
        ingestor = EventIngestor(store: store, policy: AcceptancePolicy(configuration: .init(serviceURLs: [ProfileCorpus.nodeURL])), clock: clock)
        var configuration = SyncConfiguration(bootstrapRelays: [Self.peer], ownURLs: [ProfileCorpus.nodeURL])
        configure(&configuration)
        self.configuration = configuration
        transport = RedirectingTransport(
            inner: WebSocketRelayTransport(configuration: WebSocketTransportConfiguration(addressPolicy: AddressPolicy(allowPrivate: true))),
            targets: [Self.peer: server.url])
        coordinator = SyncCoordinator(configuration: configuration, ingestor: ingestor, transport: transport, clock: clock, randomSeed: seed)
    }

    func start() async { await coordinator.start() }

    /// A node restart on the same store: the old engine stops (state saved), a new one starts.
    func restart() async {
        await coordinator.stop()
        seed += 1
        coordinator = SyncCoordinator(configuration: configuration, ingestor: ingestor, transport: transport, clock: clock, randomSeed: seed)
        await coordinator.start()
    }

    func stop() async {
        await coordinator.stop()
        await server.stop()
    }

    var status: RelayConnectionStatus? { get async { await coordinator.relayStatus(Self.peer) } }

    /// Drives the engine until `condition` holds; false after `maxVirtualSeconds` of quiet
    /// time (the hang guard).
    @discardableResult
    func drive(maxVirtualSeconds: Int = 900, until condition: () async -> Bool) async -> Bool {
        var quietPolls = 0
        var advanced = 0
        var last = progressMark()
        while advanced < maxVirtualSeconds {
            await coordinator.tick()
            if await condition() { return true }
            try? await Task.sleep(nanoseconds: 2_000_000)
            let mark = progressMark()
            if mark != last {
                last = mark
                quietPolls = 0
                continue
            }
            quietPolls += 1
            if quietPolls >= quietPollsPerSecond {
                clock.advance(by: 1)
                advanced += 1
                quietPolls = 0
            }
        }
        return await condition()
    }

    /// Drives until the peer's status is Connected (or ConnectedHistoricSyncFailures, which
    /// the caller then reports as a failure).
    func driveUntilSettled() async -> RelayConnectionStatus? {
        await drive {
            let status = await self.status
            return status == .connected || status == .connectedHistoricSyncFailures
        }
        return await status
    }

    private func progressMark() -> [Int] {
        [store.publishedEventCount, server.messagesReceived, server.bytesReceived]
    }

    /// What went wrong, for failure messages: the peer's refusals and the relay's last error.
    func diagnosis() async -> String {
        let refusals = server.refusals.map { "\($0.rule)" }
        let status = await coordinator.relayStatus(Self.peer).map { "\($0)" } ?? "untracked"
        let error = await coordinator.lastError(of: Self.peer) ?? "none"
        return "status \(status), last error \(error), \(refusals.count) refusals: \(refusals.prefix(5)), stored \(store.publishedEventCount)"
    }

    /// Corpus events the node does not hold.
    func missing(_ events: [NostrEvent]) -> [NostrEvent] {
        events.filter { !((try? store.contains(eventID: $0.id)) ?? false) }
    }
}
