import Foundation
import Nostr
import Relay
import Store
import Testing
import Transport

/// Records the abuse-limit notifications of the served relay.
final class LimitRecorder: RelayObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var limited: [RateLimitScope] = []
    private var refused: [ConnectionRefusal] = []
    var rateLimited: [RateLimitScope] { lock.withLock { limited } }
    var connectionsRefused: [ConnectionRefusal] { lock.withLock { refused } }

    func connectionOpened() {}
    func connectionClosed() {}
    func messageReceived(verb: String) {}
    func eventIngested(kind: Int, result: IngestResult) {}
    func negentropySessionOpened() {}
    func negentropySessionClosed() {}
    func eventRateLimited(scope: RateLimitScope) { lock.withLock { limited.append(scope) } }
    func connectionRefused(_ reason: ConnectionRefusal) { lock.withLock { refused.append(reason) } }
}

/// Write budgets (per connection, per IP) and connection caps (per IP, total) of the served
/// relay over real sockets; virtual time from a manual clock.
@Suite struct ClientLimitsTests {
    static func publish(_ event: NostrEvent, on session: WebSocketRelaySession) async throws -> (Bool, String) {
        try await session.send(.event(event))
        while true {
            if case .ok(let id, let accepted, let message) = try await session.next(), id == event.id { return (accepted, message) }
        }
    }

    /// Waits (bounded) until the relay has released a closed connection's slot.
    static func waitForOpenConnections(_ relay: NostrRelay, _ count: Int) async throws {
        for _ in 0..<500 where relay.admission?.openConnections != count {
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        #expect(relay.admission?.openConnections == count)
    }

    @Test func connectionBudgetAnswersRateLimitedAndRefills() async throws {
        let clock = ManualClock(start: Double(Fixtures.now))
        let recorder = LimitRecorder()
        let limits = ClientLimits(eventsPerSecondPerConnection: 1, eventBurstPerConnection: 3, eventsPerSecondPerIP: 100, eventBurstPerIP: 100)
        try await RelayTestHarness.withRelay(clock: clock, clientLimits: limits, observer: recorder) { relay in
            let session = try await relay.connect()
            let repo = Fixtures.announcement()
            #expect(try await Self.publish(repo, on: session).0)
            let issues = (0..<4).map { Fixtures.issue(for: repo, subject: "bug \($0)") }
            #expect(try await Self.publish(issues[0], on: session).0)
            #expect(try await Self.publish(issues[1], on: session).0)
            let (accepted, message) = try await Self.publish(issues[2], on: session)
            #expect(!accepted)
            #expect(message.hasPrefix("rate-limited: "))
            #expect(message.contains("per connection"))
            #expect(try relay.store.count([Filter(ids: [issues[2].id])]) == 0)
            #expect(recorder.rateLimited == [.connection])
            clock.advance(by: 1)
            #expect(try await Self.publish(issues[2], on: session).0)
            #expect(!(try await Self.publish(issues[3], on: session).0))
            await session.close()
        }
    }

    @Test func ipBudgetIsSharedByTheConnectionsOfOneAddress() async throws {
        let clock = ManualClock(start: Double(Fixtures.now))
        let recorder = LimitRecorder()
        let limits = ClientLimits(eventsPerSecondPerConnection: 100, eventBurstPerConnection: 100, eventsPerSecondPerIP: 1, eventBurstPerIP: 3)
        try await RelayTestHarness.withRelay(clock: clock, clientLimits: limits, observer: recorder) { relay in
            let first = try await relay.connect()
            let second = try await relay.connect()
            let repo = Fixtures.announcement()
            #expect(try await Self.publish(repo, on: first).0)
            #expect(try await Self.publish(Fixtures.issue(for: repo, subject: "a"), on: first).0)
            #expect(try await Self.publish(Fixtures.issue(for: repo, subject: "b"), on: second).0)
            let (accepted, message) = try await Self.publish(Fixtures.issue(for: repo, subject: "c"), on: second)
            #expect(!accepted)
            #expect(message.hasPrefix("rate-limited: "))
            #expect(message.contains("per client address"))
            #expect(recorder.rateLimited == [.ip])
            await first.close()
            await second.close()
        }
    }

    @Test func connectionsPerIPAreCappedWith503AndRetryAfter() async throws {
        let recorder = LimitRecorder()
        let limits = ClientLimits(maxConnectionsPerIP: 2, maxConnections: 100, retryAfterSeconds: 7)
        try await RelayTestHarness.withRelay(clientLimits: limits, observer: recorder) { relay in
            let a = try await relay.connect()
            let b = try await relay.connect()
            let refused = try await RawUpgrade.open(port: relay.port)
            #expect(refused.status == 503)
            #expect(refused.headers["retry-after"] == "7")
            await refused.close()
            await #expect(throws: TransportError.self) { _ = try await relay.connect() }
            #expect(recorder.connectionsRefused == [.perIP, .perIP])
            // NIP-11 and other plain HTTP requests are not counted.
            #expect(try await relay.information()["supported_nips"] != nil)
            await a.close()
            try await Self.waitForOpenConnections(relay.relay, 1)
            let c = try await relay.connect()
            await b.close()
            await c.close()
        }
    }

    @Test func totalConnectionsAreCapped() async throws {
        let recorder = LimitRecorder()
        let limits = ClientLimits(maxConnectionsPerIP: 10, maxConnections: 1)
        try await RelayTestHarness.withRelay(clientLimits: limits, observer: recorder) { relay in
            let a = try await relay.connect()
            let refused = try await RawUpgrade.open(port: relay.port)
            #expect(refused.status == 503)
            #expect(refused.headers["retry-after"] == "10")
            await refused.close()
            #expect(recorder.connectionsRefused == [.total])
            await a.close()
        }
    }

    @Test func proxyHeaderCountsOnlyWhenTrusted() async throws {
        let limits = ClientLimits(maxConnectionsPerIP: 1, maxConnections: 100, trustedProxyHeader: "X-Forwarded-For")
        try await RelayTestHarness.withRelay(clientLimits: limits) { relay in
            let one = try await RawUpgrade.open(port: relay.port, headers: ["X-Forwarded-For": "198.51.100.1"])
            let two = try await RawUpgrade.open(port: relay.port, headers: ["X-Forwarded-For": "198.51.100.2"])
            // A spoofed first entry does not help: the proxy's (last) entry counts.
            let again = try await RawUpgrade.open(port: relay.port, headers: ["X-Forwarded-For": "203.0.113.5, 198.51.100.1"])
            #expect(one.status == 101)
            #expect(two.status == 101)
            #expect(again.status == 503)
            for c in [one, two, again] { await c.close() }
        }
        // Without a trusted header the header is ignored: every connection is 127.0.0.1.
        let untrusted = ClientLimits(maxConnectionsPerIP: 1, maxConnections: 100)
        try await RelayTestHarness.withRelay(clientLimits: untrusted) { relay in
            let one = try await RawUpgrade.open(port: relay.port, headers: ["X-Forwarded-For": "198.51.100.1"])
            let two = try await RawUpgrade.open(port: relay.port, headers: ["X-Forwarded-For": "198.51.100.2"])
            #expect(one.status == 101)
            #expect(two.status == 503)
            for c in [one, two] { await c.close() }
        }
    }
}
