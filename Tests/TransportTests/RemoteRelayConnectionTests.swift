import Nostr
import Testing
import Transport
import TransportTestKit

/// One actor per relay URL, reused across reconnects.
@Suite struct RemoteRelayConnectionTests {
    static let url = RelayURL("wss://relay-b.example")!

    static func make() throws -> (RemoteRelayConnection, InMemoryRelayTransport) {
        let (relay, _) = try InProcessRelayServer.makeRelay()
        let transport = InMemoryRelayTransport()
        transport.register(relay, at: url)
        return (RemoteRelayConnection(url: url, transport: transport), transport)
    }

    @Test func connectSendDisconnect() async throws {
        let (connection, _) = try Self.make()
        #expect(connection.url == Self.url)
        await #expect(throws: TransportError.notConnected) { try await connection.send(.close(subscriptionID: "x")) }
        let session = try await connection.connect()
        #expect(await connection.currentSession === session)
        try await connection.send(.req(subscriptionID: "s", filters: [Filter(kinds: [1])]))
        #expect(try await session.next() == .eose(subscriptionID: "s"))
        await connection.disconnect()
        #expect(await connection.currentSession == nil)
        #expect(try await session.collectUntilEnd().isEmpty)
        await #expect(throws: TransportError.notConnected) { try await connection.send(.close(subscriptionID: "s")) }
        await connection.disconnect()  // idempotent
    }

    @Test func reconnectReplacesAndClosesTheOldSession() async throws {
        let (connection, transport) = try Self.make()
        let first = try await connection.connect()
        let second = try await connection.connect()
        #expect(first !== second)
        #expect(await connection.currentSession === second)
        #expect(try await first.collectUntilEnd().isEmpty)   // closed by us
        #expect(await first.closeReason() == nil)
        #expect(await connection.attempts == 2)
        #expect(await connection.successfulConnections == 2)
        #expect(transport.connectionAttempts(to: Self.url) == 2)
        await connection.disconnect()
    }

    @Test func concurrentConnectsShareOneAttempt() async throws {
        let (connection, transport) = try Self.make()
        async let a = connection.connect()
        async let b = connection.connect()
        let (sa, sb) = try await (a, b)
        // Either both calls shared one attempt, or the second replaced the first.
        if sa === sb {
            #expect(transport.connectionAttempts(to: Self.url) == 1)
        } else {
            let current = await connection.currentSession
            #expect(current === sa || current === sb)
        }
        #expect(await connection.currentSession != nil)
        await connection.disconnect()
    }

    @Test func failedAttemptIsRecordedAndCleared() async throws {
        let (relay, _) = try InProcessRelayServer.makeRelay()
        let memory = InMemoryRelayTransport()
        let connection = RemoteRelayConnection(url: Self.url, transport: memory)
        await #expect(throws: TransportError.self) { try await connection.connect() }
        guard case .connectionRefused? = await connection.lastConnectError else {
            Issue.record("expected connectionRefused")
            return
        }
        memory.register(relay, at: Self.url)
        try await connection.connect()
        #expect(await connection.lastConnectError == nil)
        #expect(await connection.attempts == 2)
        #expect(await connection.successfulConnections == 1)
        await connection.disconnect()
    }
}
