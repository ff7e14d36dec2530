import Foundation
import Logging
import Nostr
import Relay
import ServiceLifecycle
import Store

/// A `NostrRelay` behind the real WebSocket endpoint (`RelayServer`) on a free loopback port,
/// for the served-path benchmarks that need a relay built their own way (an observer, client
/// limits); `ReadLoad.serve` is the read-load benchmark's fixed variant.
public enum ServedRelay {
    /// A logger that keeps the worker's stdout for its JSON line (warnings and worse only,
    /// on stderr).
    public static func quietLogger(_ label: String) -> Logger {
        var logger = Logger(label: label, factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        return logger
    }

    /// The ingest corpus (or `corpus`) in an on-disk store in `directory`, ingested through the
    /// acceptance policy the sync benchmarks use, as a relay with `observer` and `clientLimits`
    /// and the node's defaults otherwise (NIP-77: 8 sessions per connection, 1,000,000 items
    /// per session, 4,000,000 items node-wide). The corpus is not kept.
    public static func makeCorpusRelay(directory: URL, corpus: [NostrEvent] = IngestCorpus.make(),
                                       observer: (any RelayObserver)?, clientLimits: ClientLimits?) throws -> NostrRelay {
        let loaded = try SyncRun.makePeer(corpus, directory: directory)
        return NostrRelay(ingestor: loaded.ingestor, observer: observer, clientLimits: clientLimits,
                          logger: quietLogger("bench.relay"))
    }

    /// Serves `relay` on a free loopback port until `body` returns; `body` gets the WebSocket
    /// URL. The server then shuts down gracefully.
    public static func serve<T: Sendable>(_ relay: NostrRelay, _ body: @Sendable (String) async throws -> T) async throws -> T {
        let logger = quietLogger("bench.server")
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let app = try RelayServer.makeApplication(relay: relay, port: 0, onServerRunning: { portContinuation.yield($0) },
                                                  logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask { try await group.run(); return nil }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw ReadLoad.LoadError.unexpected("the server did not start") }
            let result = try await body("ws://127.0.0.1:\(port)/")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return result
        }
    }
}
