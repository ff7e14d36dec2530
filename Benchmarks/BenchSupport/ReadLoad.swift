import Foundation
import HummingbirdWSClient
import Logging
import Nostr
import Relay
import ServiceLifecycle
import Store

/// The served read-load scenario: the ingest corpus (100,000 NIP-34 events) in an on-disk
/// store behind the real WebSocket endpoint (`RelayServer`), and N clients on loopback each
/// sending M REQs in turn and reading every answer up to its EOSE. The clients run in their
/// own process (`ReadLoadWorker load`), so they do not share the node's cooperative pool.
public enum ReadLoad {
    /// The REQ filters, used in turn (client c's r-th REQ uses shape (c + r) mod 3).
    public static let filterShapes = [
        #"{"kinds":[1621],"limit":500}"#,
        #"{"kinds":[1111],"limit":500}"#,
        #"{"kinds":[1630,1631,1632,1633],"limit":500}"#,
    ]

    /// What one load run came to (printed by the worker as one JSON line).
    public struct Result: Codable, Sendable {
        public var clients: Int
        public var reqsPerClient: Int
        /// From the first connection attempt to the last client's last EOSE.
        public var seconds: Double
        public var reqs: Int
        public var events: Int
        public var reqsPerSecond: Double
        public var eventsPerSecond: Double
        /// Peak resident set of the serving process (`VmHWM`), in bytes (0 from `load` alone).
        public var serverPeakResidentBytes: Int
    }

    public enum LoadError: Error, CustomStringConvertible {
        case unexpected(String)
        case closedEarly(client: Int, completedReqs: Int)
        public var description: String {
            switch self {
            case .unexpected(let text): return "unexpected message: \(text.prefix(200))"
            case .closedEarly(let c, let n): return "client \(c) closed after \(n) REQs"
            }
        }
    }

    /// Runs `clients` WebSocket clients against `url`, each sending `reqs` REQs one after the
    /// other (the next once the previous one's EOSE arrived), and measures the whole load.
    public static func runLoad(url: String, clients: Int, reqs: Int) async throws -> Result {
        let logger = Logger(label: "read-load")
        let clock = ContinuousClock()
        let started = clock.now
        let events = try await withThrowingTaskGroup(of: Int.self) { group in
            for c in 0..<clients {
                group.addTask { try await runClient(c, url: url, reqs: reqs, logger: logger) }
            }
            var total = 0
            for try await n in group { total += n }
            return total
        }
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Result(clients: clients, reqsPerClient: reqs, seconds: seconds, reqs: clients * reqs, events: events,
                      reqsPerSecond: Double(clients * reqs) / seconds, eventsPerSecond: Double(events) / seconds,
                      serverPeakResidentBytes: 0)
    }

    /// One client: REQ, read to EOSE, CLOSE, next REQ. Returns the EVENT messages received.
    static func runClient(_ c: Int, url: String, reqs: Int, logger: Logger) async throws -> Int {
        let counted = Counter()
        try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 22), logger: logger) { inbound, outbound, _ in
            var messages = inbound.messages(maxSize: 1 << 22).makeAsyncIterator()
            for r in 0..<reqs {
                let sub = "c\(c)r\(r)"
                try await outbound.write(.text("[\"REQ\",\"\(sub)\",\(filterShapes[(c + r) % filterShapes.count])]"))
                reading: while let message = try await messages.next() {
                    guard case .text(let text) = message else { throw LoadError.unexpected("binary") }
                    if text.hasPrefix("[\"EVENT\"") {
                        counted.events += 1
                    } else if text.hasPrefix("[\"EOSE\"") {
                        break reading
                    } else {
                        throw LoadError.unexpected(text)
                    }
                }
                try await outbound.write(.text("[\"CLOSE\",\"\(sub)\"]"))
                counted.reqs += 1
            }
            try await outbound.close(.normalClosure, reason: nil)
        }
        guard counted.reqs == reqs else { throw LoadError.closedEarly(client: c, completedReqs: counted.reqs) }
        return counted.events
    }

    /// Per-client tallies, touched only by that client's handler.
    final class Counter: @unchecked Sendable {
        var events = 0
        var reqs = 0
    }

    /// Serves the corpus from a store in `directory` on a free loopback port until `body`
    /// returns; `body` gets the WebSocket URL.
    public static func serve<T: Sendable>(corpus: [NostrEvent], directory: URL,
                                          _ body: @Sendable (String) async throws -> T) async throws -> T {
        let relay = try SyncRun.makePeer(corpus, directory: directory)
        var logger = Logger(label: "read-load.relay")
        logger.logLevel = .warning
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = try RelayServer.makeApplication(relay: relay, port: 0, onServerRunning: { portContinuation.yield($0) },
                                                  logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask { try await group.run(); return nil }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw LoadError.unexpected("the server did not start") }
            let result = try await body("ws://127.0.0.1:\(port)/")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }

    /// `VmHWM` of this process.
    public static func peakResidentBytes() -> Int { SyncRun.peakResidentBytes() }
}
