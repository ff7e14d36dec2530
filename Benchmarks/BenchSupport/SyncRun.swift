import Layers
import App
import Foundation
import Health
import Nostr
import Relay
import Store
import Transport
import TransportTestKit

/// The sync benchmark scenario: the ingest corpus (100,000 NIP-34 events over 500
/// repositories) on a real `NostrRelay` reached in memory (`LocalRelayTransport`), synced into
/// an empty node; then a restart past the quick-reconnect window, when nothing changed. The
/// figures cover the engine, negentropy, both JSON codecs, verification, policy and SQLite,
/// not the network.
public enum SyncRun {
    public static let peerURL = IngestCorpus.peer
    public static let nodeURL = IngestCorpus.service

    /// What one measured sync came to.
    public struct Result: Codable, Sendable {
        /// From the coordinator's start (state loaded, desired index preloaded) to the peer
        /// reaching Connected.
        public var milliseconds: Double
        /// Time `start()` took (loading persisted state, preloading the desired index).
        public var startMilliseconds: Double
        public var bytesUp: Int
        public var bytesDown: Int
        public var storedEvents: Int
        /// Peak resident set of the process running the scenario (`VmHWM`), in bytes.
        public var peakResidentBytes: Int
    }

    /// Which sync to measure.
    public enum Mode: String, Sendable {
        /// Full historic sync into an empty node.
        case full
        /// No-change re-sync of a GRASP server (its NIP-11 names GRASP specifications): one
        /// relay-wide NIP-77 session.
        case resync
        /// No-change re-sync of a general relay: item filters naming every repository and
        /// root event.
        case resyncItems = "resync-items"
    }

    /// Runs the scenario in `directory` and measures `mode`.
    public static func run(_ mode: Mode, corpus: [NostrEvent], directory: URL) async throws -> Result {
        let transport = LocalRelayTransport()
        transport.register(try makePeer(corpus, directory: directory), at: peerURL)
        let store = try SQLiteEventStore(path: directory.appendingPathComponent("node.sqlite").path)
        let information = PeerInformation(graspServer: mode != .resyncItems)
        var result = try await measure(coordinator(store: store, transport: transport, quickReconnectWindow: 900, information: information),
                                       store: store, transport: transport)
        if mode != .full {
            // A fresh coordinator on the same store, past the quick-reconnect window:
            // negentropy finds nothing to fetch.
            result = try await measure(coordinator(store: store, transport: transport, quickReconnectWindow: 0, information: information),
                                       store: store, transport: transport)
        }
        result.peakResidentBytes = peakResidentBytes()
        return result
    }

    static func makePeer(_ corpus: [NostrEvent], directory: URL) throws -> NostrRelay {
        let store = try SQLiteEventStore(path: directory.appendingPathComponent("peer.sqlite").path)
        let ingestor = EventIngestor(store: store, policy: AcceptancePolicy(configuration: .init(serviceURLs: [nodeURL])),
                                     clock: ManualClock(start: 1_800_000_000))
        let results = ingestor.ingest(batch: corpus)
        precondition(results.allSatisfy { $0 == .saved }, "the peer refused part of the corpus")
        return NostrRelay(ingestor: ingestor)
    }

    /// The peer's NIP-11 document as the engine sees it (the in-process peer has no HTTP side).
    struct PeerInformation: RelayInformationFetching {
        let graspServer: Bool
        func information(for relay: RelayURL) async throws(TransportError) -> RemoteRelayInformation {
            RemoteRelayInformation(supportedNIPs: [1, 11, 77], supportedGRASPs: graspServer ? ["GRASP-02"] : [])
        }
    }

    static func coordinator(store: SQLiteEventStore, transport: LocalRelayTransport, quickReconnectWindow: Double,
                            information: (any RelayInformationFetching)? = nil) -> SyncCoordinator {
        let ingestor = EventIngestor(store: store, policy: AcceptancePolicy(configuration: .init(serviceURLs: [nodeURL])))
        let configuration = SyncConfiguration(bootstrapRelays: [peerURL], ownURLs: [nodeURL], batchWindow: 0.05,
                                              quickReconnectWindow: quickReconnectWindow, settleDelay: 0.2)
        return SyncCoordinator(configuration: configuration, ingestor: ingestor, transport: transport, relayInformation: information)
    }

    /// Starts `coordinator` and ticks it in real time until the peer is Connected.
    static func measure(_ coordinator: SyncCoordinator, store: SQLiteEventStore, transport: LocalRelayTransport) async throws -> Result {
        let (up, down) = (transport.bytesSent, transport.bytesReceived)
        let clock = ContinuousClock()
        let started = clock.now
        await coordinator.start()
        let afterStart = clock.now
        while await coordinator.relayStatus(peerURL) != .connected {
            await coordinator.tick()
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        let end = clock.now
        await coordinator.stop()
        func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
        return Result(milliseconds: ms(end - afterStart), startMilliseconds: ms(afterStart - started),
                      bytesUp: transport.bytesSent - up, bytesDown: transport.bytesReceived - down,
                      storedEvents: try store.totalCount(), peakResidentBytes: 0)
    }

    /// `VmHWM` of this process (0 where /proc is unavailable).
    static func peakResidentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }
}
