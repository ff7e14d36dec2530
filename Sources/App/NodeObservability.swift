import Foundation
import Logging
import Relay
import Store
import SyncMetrics

/// Connects the stages to the Metrics stage: the sync engine's node events, the served
/// relay's observer callbacks, and the latest snapshot for `GET /status`. Nothing here
/// touches the Prometheus registry directly; `NodeMetrics` owns it.
final class NodeObservability: RelayObserver, @unchecked Sendable {
    let metrics: NodeMetrics
    private let lock = NSLock()
    private var latest = SyncMetricsSnapshot()
    private let logger: Logger?
    private let now: @Sendable () -> Double

    init(metrics: NodeMetrics, logger: Logger? = nil, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.metrics = metrics
        self.logger = logger
        self.now = now
    }

    /// The sink handed to the sync coordinator. A relay whose health changed since the
    /// previous snapshot gets one log line with the reason.
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
        metrics.record(event)
    }

    /// The most recent per-relay snapshot.
    var latestSnapshot: SyncMetricsSnapshot { lock.withLock { latest } }

    // MARK: RelayObserver

    func connectionOpened() { metrics.connectionOpened() }
    func connectionClosed() { metrics.connectionClosed() }
    func messageReceived(verb: String) { metrics.messageReceived(verb: verb) }
    func negentropySessionOpened() { metrics.negentropySessionOpened() }
    func negentropySessionClosed() { metrics.negentropySessionClosed() }
    func eventRateLimited(scope: RateLimitScope) { metrics.eventRateLimited(scope: scope.rawValue) }
    func connectionRefused(_ reason: ConnectionRefusal) { metrics.connectionRefused(reason: reason.rawValue) }

    func eventIngested(kind: Int, result: IngestResult) {
        switch result {
        case .saved: metrics.eventStored(kind: kind)
        case .duplicate, .superseded: break
        default:
            let message = result.okAnswer.message
            metrics.eventRefused(prefix: message.split(separator: ":").first.map(String.init) ?? "error")
        }
    }
}
