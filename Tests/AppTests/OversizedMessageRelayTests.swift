import Layers
import App
import Foundation
import Health
import Nostr
import Store
import Testing
import Transport
import TransportTestKit

/// Issue 12, fault suite: a remote relay that answers every connection with an endless
/// stream of messages over the 4 MiB inbound limit, met over a real socket. The transport
/// drops each connection at the first oversized frame (it never buffers past the limit),
/// health records every failure as misconfiguration (an hour at least between attempts, on the
/// naughty list), and the node keeps running.
@Suite(.timeLimit(.minutes(2)))
struct OversizedMessageRelayTests {
    @Test("endless 4 MiB messages: each connection ends as 'message too large', failures recorded, the relay backs off and goes on the naughty list")
    func endlessOversizedMessages() async throws {
        // One text frame just over the default 4 MiB inbound limit (a NOTICE with padding).
        let padding = String(repeating: "x", count: 4 * 1024 * 1024)
        let oversized = "[\"NOTICE\",\"\(padding)\"]"
        let server = try await ScriptedWebSocketServer.start { peer, _ in
            try await peer.upgrade()
            // Until the client goes away (the write then fails).
            while true { try await peer.sendText(oversized) }
        }
        let clock = ManualClock(start: 1_800_000_000)
        let store = try SQLiteEventStore()
        let ingestor = EventIngestor(store: store, policy: AcceptancePolicy(configuration: .init(serviceURLs: [RelayURL("wss://node.test")!])),
                                     clock: clock)
        let transport = WebSocketRelayTransport(configuration: WebSocketTransportConfiguration(addressPolicy: AddressPolicy(allowPrivate: true)))
        let coordinator = SyncCoordinator(configuration: SyncConfiguration(bootstrapRelays: [server.url], ownURLs: [RelayURL("wss://node.test")!]),
                                          ingestor: ingestor, transport: transport, clock: clock, randomSeed: 3)
        await coordinator.start()
        let tracker = await coordinator.healthTracker
        let url = server.url

        /// Ticks (2 ms between polls, virtual time one second per 50 quiet polls) until
        /// `failures` connection failures are recorded.
        func driveUntil(failures: Int) async -> Bool {
            for poll in 0..<30_000 {
                await coordinator.tick()
                if await tracker.consecutiveFailures(of: url.description) >= failures,
                   await coordinator.relayStatus(url) == .disconnected { return true }
                try? await Task.sleep(nanoseconds: 2_000_000)
                if poll % 50 == 49 { clock.advance(by: 1) }
            }
            return false
        }

        #expect(await driveUntil(failures: 1), "the first oversized message did not end the connection")
        let error = await coordinator.lastError(of: url) ?? ""
        #expect(error.contains("too large") || error.contains("4194304"), "last error: \(error)")
        // A protocol failure looks like misconfiguration: the relay is backed off for at
        // least an hour and listed as naughty, not hammered.
        let failedAt = clock.now()
        let next = try #require(await tracker.nextAttemptAt(url.description))
        #expect(next - failedAt >= 3600, "next attempt in \(next - failedAt) s")
        #expect(await tracker.naughtyEntries().contains { $0.url == url.description })
        #expect(server.connectionCount == 1)
        // Past the backoff it tries again, meets the same stream, and is dropped again.
        clock.advance(by: next - failedAt + 1)
        #expect(await driveUntil(failures: 2), "no retry after the backoff")
        #expect(server.connectionCount == 2)
        #expect(await tracker.status(of: url.description) != .healthy)
        #expect(try store.totalCount() == 0)
        await coordinator.stop()
        await server.stop()
    }
}
