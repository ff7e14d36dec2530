import Foundation
import Logging
import NIOSSL
import Nostr
import Relay
import ServiceLifecycle
import Store

/// Our own relay (`RelayServer` over a fresh in-memory SQLite store) serving on a free
/// loopback port for the duration of a test, optionally over TLS and without compression.
public struct InProcessRelayServer: Sendable {
    /// The service URL the default acceptance policy expects in announcements.
    public static let serviceURL = RelayURL("ws://relay.test")!

    public let port: Int
    public let relay: NostrRelay
    public let store: SQLiteEventStore
    public let isSecure: Bool

    /// `ws://HOST:PORT` or `wss://HOST:PORT` (HOST `127.0.0.1` by default, or `localhost`).
    public func url(host: String = "127.0.0.1") -> RelayURL {
        let h = host.contains(":") ? "[\(host)]" : host
        return RelayURL("\(isSecure ? "wss" : "ws")://\(h):\(port)")!
    }

    /// A relay core over a fresh in-memory store (also for `InMemoryRelayTransport`).
    public static func makeRelay(
        limits: RelayLimits = RelayLimits(),
        policy: AcceptancePolicyConfiguration = AcceptancePolicyConfiguration(serviceURLs: [serviceURL]),
        clock: any NodeClock = SystemClock(),
        logger: Logger = Logger(label: "test.relay")
    ) throws -> (relay: NostrRelay, store: SQLiteEventStore) {
        let store = try SQLiteEventStore()
        let ingestor = EventIngestor(store: store, policy: AcceptancePolicy(configuration: policy), clock: clock)
        let relay = NostrRelay(ingestor: ingestor, information: RelayInformation(limits: limits), clock: clock, logger: logger)
        return (relay, store)
    }

    /// Starts a relay on 127.0.0.1 port 0, runs `body`, and shuts the relay down gracefully
    /// (also when `body` throws).
    public static func run<T: Sendable>(
        limits: RelayLimits = RelayLimits(),
        policy: AcceptancePolicyConfiguration = AcceptancePolicyConfiguration(serviceURLs: [serviceURL]),
        tls: TLSConfiguration? = nil,
        compression: Bool = true,
        _ body: @Sendable (InProcessRelayServer) async throws -> T
    ) async throws -> T {
        let logger = Logger(label: "test.relay")
        let (relay, store) = try makeRelay(limits: limits, policy: policy, logger: logger)
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = try RelayServer.makeApplication(
            relay: relay, host: "127.0.0.1", port: 0, compression: compression, tls: tls,
            onServerRunning: { portContinuation.yield($0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                defer { portContinuation.finish() }
                try await group.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await tasks.waitForAll()
                throw InProcessRelayServerError.noPort
            }
            let server = InProcessRelayServer(port: port, relay: relay, store: store, isSecure: tls != nil)
            do {
                let result = try await body(server)
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
}

public enum InProcessRelayServerError: Error, Sendable {
    case noPort
}
