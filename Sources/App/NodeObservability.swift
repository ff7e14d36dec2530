import Foundation
import Logging
import Relay
import Store
import SyncMetrics

/// Connects the stages to the Metrics stage: the sync engine's node events (health and
/// naughty-list changes among them), the rejected-events index's activity, the served
/// relay's observer callbacks, and the latest snapshot for `GET /status`.
///
/// Every producer yields into one `AsyncStream<NodeEvent>`, and ``run()`` is its only
/// consumer (`NodeMetrics.run(events:)`), so the metrics see the events in the order they
/// were produced and no producer ever waits on the registry. Nothing here touches the
/// Prometheus registry directly; `NodeMetrics` owns it.
final class NodeObservability: RelayObserver, @unchecked Sendable {
    let metrics: NodeMetrics
    private let lock = NSLock()
    private var latest = SyncMetricsSnapshot()
    private let logger: Logger?
    private let now: @Sendable () -> Double
    private let events: AsyncStream<NodeEvent>
    private let continuation: AsyncStream<NodeEvent>.Continuation

    init(metrics: NodeMetrics, logger: Logger? = nil, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
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
    func record(_ event: NodeEvent) {
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
    func run() async {
        await metrics.run(events: events)
    }

    /// Ends the event stream (shutdown, after every producer has stopped); ``run()``
    /// returns once the buffered events are recorded. Later events are dropped.
    func finish() {
        continuation.finish()
    }

    /// The most recent per-relay snapshot.
    var latestSnapshot: SyncMetricsSnapshot { lock.withLock { latest } }

    // MARK: RelayObserver

    func connectionOpened() { record(.servedConnectionOpened) }
    func connectionClosed() { record(.servedConnectionClosed) }
    func messageReceived(verb: String) { record(.servedMessageReceived(verb: verb)) }
    func negentropySessionOpened() { record(.servedNegentropySessionOpened) }
    func negentropySessionClosed() { record(.servedNegentropySessionClosed) }
    func eventRateLimited(scope: RateLimitScope) { record(.servedEventRateLimited(scope: scope.rawValue)) }
    func connectionRefused(_ reason: ConnectionRefusal) { record(.servedConnectionRefused(reason: reason.rawValue)) }

    func eventIngested(kind: Int, result: IngestResult) {
        switch result {
        case .saved: record(.servedEventStored(kind: kind))
        case .duplicate, .superseded: break
        default:
            let message = result.okAnswer.message
            record(.servedEventRefused(prefix: message.split(separator: ":").first.map(String.init) ?? "error"))
        }
    }
}
