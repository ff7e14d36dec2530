import Foundation
import Hummingbird
import Logging
import NIOCore

/// The Metrics stage's intake: the sync engine's node events (health and naughty-list
/// changes among them), the rejected-events index's activity, the served relay's observer
/// callbacks (through App's adapter), and the latest snapshot for `GET /status`.
///
/// Every producer yields into one `AsyncStream<NodeEvent>`, and ``run()`` is its only
/// consumer (`NodeMetrics.run(events:)`), so the metrics see the events in the order they
/// were produced and no producer ever waits on the registry. Nothing here touches the
/// Prometheus registry directly; `NodeMetrics` owns it.
public final class NodeObservability: @unchecked Sendable {
    public let metrics: NodeMetrics
    private let lock = NSLock()
    private var latest = SyncMetricsSnapshot()
    private let logger: Logger?
    private let now: @Sendable () -> Double
    private let events: AsyncStream<NodeEvent>
    private let continuation: AsyncStream<NodeEvent>.Continuation

    public init(metrics: NodeMetrics, logger: Logger? = nil, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.metrics = metrics
        self.logger = logger
        self.now = now
        // Unbounded: every event moves a counter, and dropping one would make it lie; the
        // consumer only does registry updates, so the buffer drains as fast as it fills.
        (events, continuation) = AsyncStream.makeStream(of: NodeEvent.self, bufferingPolicy: .unbounded)
    }

    /// The sink handed to the sync coordinator, the health tracker and the rejected-events
    /// index. A snapshot becomes the `/status` snapshot at once, and a relay whose health
    /// changed since the previous snapshot gets one log line with the reason; the metrics
    /// follow when ``run()`` consumes the event.
    public func record(_ event: NodeEvent) {
        if case .snapshot(let snapshot) = event {
            let previous = lock.withLock { () -> SyncMetricsSnapshot in
                defer { latest = snapshot }
                return latest
            }
            if let logger {
                for line in RelayHealthChangeLog.lines(from: previous, to: snapshot, now: now()) { logger.notice("\(line)") }
            }
        }
        continuation.yield(event)
    }

    /// Feeds the metrics from the event stream until ``finish()`` has been called and every
    /// event before it is recorded.
    public func run() async {
        await metrics.run(events: events)
    }

    /// Ends the event stream (shutdown, after every producer has stopped); ``run()``
    /// returns once the buffered events are recorded. Later events are dropped.
    public func finish() {
        continuation.finish()
    }

    /// The most recent per-relay snapshot.
    public var latestSnapshot: SyncMetricsSnapshot { lock.withLock { latest } }

    // MARK: Endpoints

    /// Adds the stage's HTTP endpoints to the served endpoint's router: `GET /metrics`
    /// (Prometheus), `GET /status` (the status document as JSON) and the HTML status page on
    /// `GET /` for browsers (``StatusPageMiddleware``). `node` describes the node at a time.
    public func addEndpoints<Context: RequestContext>(to router: Router<Context>, node: @escaping @Sendable (Double) -> RelayStatusNode,
                                                      now: @escaping @Sendable () -> Double) {
        let document: @Sendable () -> (RelayStatusDocument, Double) = { [self] in
            let at = now()
            return (RelayStatusDocument(snapshot: latestSnapshot, generatedAt: at, node: node(at)), at)
        }
        router.add(middleware: StatusPageMiddleware(document: document))
        router.get("/metrics") { [metrics] _, _ -> Response in
            Response(status: .ok, headers: [.contentType: NodeMetrics.contentType],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("/status") { _, _ -> Response in
            let (status, _) = document()
            let data = (try? status.jsonData(prettyPrinted: true)) ?? Data("{}".utf8)
            return Response(status: .ok, headers: [.contentType: RelayStatusDocument.contentType],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
