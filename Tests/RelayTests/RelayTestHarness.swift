import Foundation
import Logging
import Nostr
import Relay
import ServiceLifecycle
import Store
import Testing
import Transport

/// Runs an in-process relay on a free loopback port for the duration of a test.
struct RelayTestHarness {
    static let serviceURL = RelayURL("ws://relay.test")!

    let port: Int
    let store: SQLiteEventStore
    let relay: NostrRelay

    var url: RelayURL { RelayURL("ws://127.0.0.1:\(port)")! }

    /// Starts a relay, runs `body`, and shuts the relay down (also when `body` throws).
    static func withRelay<T: Sendable>(
        limits: RelayLimits = RelayLimits(),
        policy: AcceptancePolicyConfiguration = AcceptancePolicyConfiguration(serviceURLs: [serviceURL]),
        clock: any NodeClock = SystemClock(),
        clientLimits: ClientLimits? = nil,
        observer: (any RelayObserver)? = nil,
        negentropyExpiryInterval: Double = 15,
        maxNegentropyItemsTotal: Int = 4_000_000,
        timeouts: RelayServerTimeouts = RelayServerTimeouts(),
        _ body: @Sendable (RelayTestHarness) async throws -> T
    ) async throws -> T {
        let logger = Logger(label: "test.relay")
        let store = try SQLiteEventStore()
        let ingestor = EventIngestor(store: store, policy: AcceptancePolicy(configuration: policy), clock: clock)
        let relay = NostrRelay(ingestor: ingestor, information: RelayInformation(limits: limits), clock: clock,
                               negentropyExpiryInterval: negentropyExpiryInterval, maxNegentropyItemsTotal: maxNegentropyItemsTotal,
                               observer: observer, clientLimits: clientLimits, logger: logger)
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = try RelayServer.makeApplication(relay: relay, port: 0, timeouts: timeouts, onServerRunning: { portContinuation.yield($0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask { try await group.run(); return nil }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw HarnessError.noPort }
            let harness = RelayTestHarness(port: port, store: store, relay: relay)
            do {
                let result = try await body(harness)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// A WebSocket client session to this relay.
    func connect(compression: Bool = true, maxOutbound: Int = 4 * 1024 * 1024) async throws -> WebSocketRelaySession {
        let transport = WebSocketRelayTransport(configuration: .init(
            maxOutboundMessageBytes: maxOutbound, compression: compression, addressPolicy: .init(allowPrivate: true)))
        return try await transport.connect(to: url) as! WebSocketRelaySession
    }

    /// The NIP-11 document fetched over HTTP, parsed.
    func information() async throws -> JSONValue {
        let text = try await HTTPGet.fetch(host: "127.0.0.1", port: port, path: "/", headers: ["Accept": "application/nostr+json"])
        return try JSONValue.parse(text.body)
    }
}

enum HarnessError: Error { case noPort, timedOut(String), closed }

extension RelaySession {
    /// The next inbound message; fails the test instead of hanging if none arrives within
    /// `deadline` seconds (a safety net, not a timing assertion).
    func next(deadline: Double = 10) async throws -> RelayMessage {
        let stream = messages
        return try await withThrowingTaskGroup(of: RelayMessage?.self) { group in
            group.addTask {
                var it = stream.makeAsyncIterator()
                return await it.next()
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(deadline * 1_000_000_000))
                throw HarnessError.timedOut("no message within \(deadline) s")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let message = first else { throw HarnessError.closed }
            return message
        }
    }

    /// Messages up to and including the EOSE of `subscriptionID`.
    func collectUntilEOSE(_ subscriptionID: String) async throws -> [RelayMessage] {
        var out: [RelayMessage] = []
        while true {
            let m = try await next()
            out.append(m)
            if case .eose(let id) = m, id == subscriptionID { return out }
            if case .closed(let id, _) = m, id == subscriptionID { return out }
        }
    }
}

/// Signed NIP-34 fixtures.
enum Fixtures {
    static let owner = NostrKeypair(secretKeyHex: String(repeating: "01", count: 32))!
    static let other = NostrKeypair(secretKeyHex: String(repeating: "02", count: 32))!
    static let now = Int64(Date().timeIntervalSince1970)

    static func announcement(_ d: String = "repo1", by key: NostrKeypair = owner, relays: [String] = [RelayTestHarness.serviceURL.description], createdAt: Int64 = now) -> NostrEvent {
        key.sign(kind: 30617, tags: [["d", d], ["name", d], ["relays"] + relays], content: "", createdAt: createdAt)
    }

    static func issue(for repo: NostrEvent, by key: NostrKeypair = other, subject: String = "bug", createdAt: Int64 = now) -> NostrEvent {
        key.sign(kind: 1621, tags: [["a", "30617:\(repo.pubkey):\(repo.dTag)"], ["p", repo.pubkey], ["subject", subject]], content: "it breaks", createdAt: createdAt)
    }
}
