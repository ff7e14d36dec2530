import Nostr
import Relay
import Store
import Testing
import Transport
import TransportTestKit

/// The in-memory transport wired to an in-process relay (the App tests' default double).
@Suite struct InMemoryTransportTests {
    static let url = RelayURL("wss://relay-a.example")!

    static func transportWithRelay(bufferMessages: Int = 256) throws -> (InMemoryRelayTransport, NostrRelay) {
        let (relay, _) = try InProcessRelayServer.makeRelay(limits: RelayLimits(maxLimit: 5000, defaultLimit: 5000))
        let transport = InMemoryRelayTransport(inboundBufferMessages: bufferMessages)
        transport.register(relay, at: url)
        return (transport, relay)
    }

    @Test func servesTheRegisteredRelay() async throws {
        let (transport, _) = try Self.transportWithRelay()
        let session = try await transport.connect(to: Self.url)
        #expect(session.url == Self.url)
        let repo = Fixtures.announcement()
        let issue = Fixtures.issue(for: repo)
        try await session.send(.event(repo))
        #expect(try await session.next() == .ok(eventID: repo.id, accepted: true, message: ""))
        try await session.send(.event(issue))
        #expect(try await session.next() == .ok(eventID: issue.id, accepted: true, message: ""))
        try await session.send(.req(subscriptionID: "s", filters: [Filter(kinds: [30617, 1621])]))
        let reply = try await session.collectUntilEOSE("s")
        #expect(Set(eventIDs(reply, "s")) == [repo.id, issue.id])
        #expect(reply.last == .eose(subscriptionID: "s"))

        let huge = Fixtures.issue(for: repo, content: String(repeating: "x", count: 200 * 1024))
        await #expect(throws: TransportError.messageTooLarge(limit: 128 * 1024)) { try await session.send(.event(huge)) }

        await session.close()
        #expect(try await session.collectUntilEnd().isEmpty)
        #expect(await session.closeReason() == nil)
        await #expect(throws: TransportError.notConnected) { try await session.send(.close(subscriptionID: "s")) }
        #expect(transport.connectionAttempts(to: Self.url) == 1)
    }

    @Test func unknownURLIsRefused() async throws {
        let transport = InMemoryRelayTransport()
        await #expect(throws: TransportError.connectionRefused("no in-memory relay at wss://nowhere.example")) {
            _ = try await transport.connect(to: RelayURL("wss://nowhere.example")!)
        }
    }

    @Test func liveEventsArriveAfterEOSE() async throws {
        let (transport, relay) = try Self.transportWithRelay()
        let repo = Fixtures.announcement()
        Fixtures.ingest([repo], into: relay)
        let session = try await transport.connect(to: Self.url)
        try await session.send(.req(subscriptionID: "live", filters: [Filter(kinds: [1621], limit: 0)]))
        #expect(try await session.next() == .eose(subscriptionID: "live"))
        let issue = Fixtures.issue(for: repo, subject: "live one")
        Fixtures.ingest([issue], into: relay)
        #expect(try await session.next() == .event(subscriptionID: "live", event: issue))
        await session.close()
    }

    @Test func slowConsumerGetsEverythingInOrder() async throws {
        let (transport, relay) = try Self.transportWithRelay(bufferMessages: 4)
        let (repo, issues) = Fixtures.repoWithIssues(1000)
        Fixtures.ingest([repo] + issues, into: relay)
        let session = try await transport.connect(to: Self.url)
        try await session.send(.req(subscriptionID: "all", filters: [Filter(kinds: [1621], limit: 1000)]))
        try await withDeadline { await session.messages.waitForBackPressure() }
        #expect(session.messages.bufferedCount == 4)
        let reply = try await session.collectUntilEOSE("all")
        #expect(eventIDs(reply, "all") == issues.map(\.id))
        await session.close()
    }

    @Test func unregisteringDropsOpenSessions() async throws {
        let (transport, _) = try Self.transportWithRelay()
        let session = try await transport.connect(to: Self.url)
        await transport.unregister(Self.url)
        #expect(try await session.collectUntilEnd().isEmpty)
        #expect(await session.closeReason() == .closedByPeer(code: nil, reason: "relay removed"))
        await #expect(throws: TransportError.self) { _ = try await transport.connect(to: Self.url) }
    }
}
