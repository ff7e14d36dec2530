import Health
import Nostr
import Relay
import Store
import Testing
import Transport
import TransportTestKit

/// The fault-injecting transport over the in-memory relay: each fault ends in a typed
/// error or a clean reconnect, never a hang (hang guards on every wait), no message lost.
@Suite struct FaultInjectingTransportTests {
    static let url = RelayURL("wss://faulty.example")!

    /// A relay holding an announcement and `count` issues, behind a fault transport.
    static func setUp(_ count: Int = 10, connectTimeout: Double = 10) throws
        -> (FaultInjectingTransport, NostrRelay, [NostrEvent])
    {
        let (relay, _) = try InProcessRelayServer.makeRelay()
        let (repo, issues) = Fixtures.repoWithIssues(count)
        Fixtures.ingest([repo] + issues, into: relay)
        let memory = InMemoryRelayTransport()
        memory.register(relay, at: url)
        return (FaultInjectingTransport(inner: memory, connectTimeout: connectTimeout), relay, issues)
    }

    static let req = ClientMessage.req(subscriptionID: "s", filters: [Filter(kinds: [1621])])

    @Test(arguments: [
        TransportError.dnsFailure("cannot resolve faulty.example"),
        .connectionRefused("faulty.example:443"),
        .tls("certificate verify failed"),
        .handshakeFailed("404"),
        .protocolViolation("bad frame"),
        .timeout,
        .closedByPeer(code: 1001, reason: "restarting"),
    ])
    func failedConnectIsTypedThenReconnectIsClean(_ failure: TransportError) async throws {
        let (transport, _, issues) = try Self.setUp()
        transport.setFaults(perAttempt: [[.failConnect(failure)]], for: Self.url)
        let connection = RemoteRelayConnection(url: Self.url, transport: transport)
        await #expect(throws: failure) { try await connection.connect() }
        #expect(await connection.lastConnectError == failure)
        #expect(await connection.currentSession == nil)
        let session = try await connection.connect()
        #expect(await connection.lastConnectError == nil)
        try await session.send(Self.req)
        #expect(eventIDs(try await session.collectUntilEOSE("s"), "s") == issues.map(\.id))
        await connection.disconnect()
        #expect(transport.connectionAttempts(to: Self.url) == 2)
    }

    @Test func hangingConnectTimesOut() async throws {
        let (transport, _, _) = try Self.setUp(connectTimeout: 0.2)
        transport.setFaults([.hangConnect], for: Self.url)
        let error: TransportError? = try await withDeadline(30, "connect") {
            do throws(TransportError) {
                _ = try await transport.connect(to: Self.url)
                return nil
            } catch {
                return error
            }
        }
        #expect(error == .timeout)
        #expect(error?.failureKind == .timeout)
    }

    @Test func disconnectAbandonsAHangingConnect() async throws {
        let (transport, _, _) = try Self.setUp(connectTimeout: 3600)
        transport.setFaults([.hangConnect], for: Self.url)
        let connection = RemoteRelayConnection(url: Self.url, transport: transport)
        let attempt = Task { () -> TransportError? in
            do throws(TransportError) {
                try await connection.connect()
                return nil
            } catch {
                return error
            }
        }
        while transport.connectionAttempts(to: Self.url) == 0 { await Task.yield() }
        await connection.disconnect()
        let error = try await withDeadline(30, "abandoned connect") { await attempt.value }
        #expect(error == .notConnected)
        #expect(await connection.currentSession == nil)
    }

    @Test func dropAfterNThenReconnectLosesNothing() async throws {
        let (transport, _, issues) = try Self.setUp()
        transport.setFaults(perAttempt: [[.dropAfter(messages: 4)]], for: Self.url)
        let connection = RemoteRelayConnection(url: Self.url, transport: transport)
        let first = try await connection.connect()
        try await first.send(Self.req)
        let before = try await first.collectUntilEnd()
        #expect(eventIDs(before, "s") == issues.prefix(4).map(\.id))
        #expect(await first.closeReason() == .closedByPeer(code: nil, reason: "dropped"))
        await #expect(throws: TransportError.notConnected) { try await first.send(Self.req) }

        let second = try await connection.connect()
        try await second.send(.req(subscriptionID: "s", filters: [Filter(kinds: [1621], until: issues[3].createdAt - 1)]))
        let after = try await second.collectUntilEOSE("s")
        #expect(eventIDs(before, "s") + eventIDs(after, "s") == issues.map(\.id))
        await connection.disconnect()
    }

    @Test func cleanCloseByPeerCarriesCodeAndReason() async throws {
        let (transport, _, issues) = try Self.setUp()
        transport.setFaults([.closeAfter(messages: 2, code: 1008, reason: "too slow")], for: Self.url)
        let session = try await transport.connect(to: Self.url)
        try await session.send(Self.req)
        let received = try await session.collectUntilEnd()
        #expect(eventIDs(received, "s") == issues.prefix(2).map(\.id))
        #expect(await session.closeReason() == .closedByPeer(code: 1008, reason: "too slow"))
        #expect(await session.closeReason()?.failureKind == .closedByPeer)
    }

    @Test func delayedMessagesKeepTheirOrder() async throws {
        let (transport, _, issues) = try Self.setUp()
        transport.setFaults([.delay(.milliseconds(5))], for: Self.url)
        let session = try await transport.connect(to: Self.url)
        try await session.send(Self.req)
        let received = try await session.collectUntilEOSE("s")
        #expect(eventIDs(received, "s") == issues.map(\.id))
        #expect(received.last == .eose(subscriptionID: "s"))
        await session.close()
        #expect(await session.closeReason() == nil)
    }

    @Test func garbageIsSkippedAndCounted() async throws {
        let (transport, _, issues) = try Self.setUp()
        transport.setFaults([.garbage(everyNth: 2)], for: Self.url)
        let session = try await transport.connect(to: Self.url)
        try await session.send(Self.req)
        let received = try await session.collectUntilEOSE("s")
        #expect(eventIDs(received, "s") == issues.map(\.id))
        let faulty = try #require(session as? FaultySession)
        #expect(faulty.undecodableMessages == (issues.count + 1) / 2)
        await session.close()
    }

    @Test func rateLimitedRelayAnswersWithTypedMessages() async throws {
        let (transport, relay, _) = try Self.setUp()
        transport.setFaults(FaultInjectingTransport.Fault.rateLimited(), for: Self.url)
        let session = try await transport.connect(to: Self.url)
        guard case .notice(let notice) = try await session.next() else {
            Issue.record("expected the NOTICE first")
            return
        }
        #expect(RateLimitClassifier.isRateLimit(notice: notice))
        try await session.send(Self.req)
        guard case .closed("s", let reason) = try await session.next() else {
            Issue.record("expected CLOSED for the REQ")
            return
        }
        #expect(RateLimitClassifier.isRateLimit(closedReason: reason))
        let event = Fixtures.issue(for: Fixtures.announcement(), subject: "refused")
        try await session.send(.event(event))
        guard case .ok(event.id, let accepted, let message) = try await session.next() else {
            Issue.record("expected OK for the EVENT")
            return
        }
        #expect(!accepted)
        #expect(RateLimitClassifier.isRateLimit(okAccepted: accepted, message: message))
        try await session.send(.negOpen(subscriptionID: "n", filter: Filter(kinds: [1621]), initialMessage: "61"))
        guard case .negErr("n", let negReason, _) = try await session.next() else {
            Issue.record("expected NEG-ERR for the NEG-OPEN")
            return
        }
        #expect(negReason.hasPrefix("rate-limited:"))
        #expect(try relay.store.contains(eventID: event.id) == false)  // never reached the relay
        #expect(await session.closeReason() == nil)
        await session.close()
    }

    @Test func silentRelayNeverAnswersAndStillClosesCleanly() async throws {
        let (transport, relay, _) = try Self.setUp()
        transport.setFaults([.silent], for: Self.url)
        let session = try await transport.connect(to: Self.url)
        try await session.send(Self.req)
        let event = Fixtures.issue(for: Fixtures.announcement(), subject: "swallowed")
        try await session.send(.event(event))
        try await withDeadline(30, "close") { await session.close() }
        #expect(try await session.collectUntilEnd().isEmpty)
        #expect(await session.closeReason() == nil)
        #expect(try relay.store.contains(eventID: event.id) == false)
    }

    @Test func faultsApplyPerURL() async throws {
        let (transport, relay, issues) = try Self.setUp()
        let other = RelayURL("wss://healthy.example")!
        (transport.inner as! InMemoryRelayTransport).register(relay, at: other)
        transport.setFaults([.failConnect(.connectionRefused("x"))], for: Self.url)
        await #expect(throws: TransportError.self) { _ = try await transport.connect(to: Self.url) }
        let session = try await transport.connect(to: other)
        try await session.send(Self.req)
        #expect(eventIDs(try await session.collectUntilEOSE("s"), "s") == issues.map(\.id))
        await session.close()
    }
}
