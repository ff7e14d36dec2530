import Foundation
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

    init(metrics: NodeMetrics) {
        self.metrics = metrics
    }

    /// The sink handed to the sync coordinator.
    func record(_ event: NodeEvent) {
        if case .snapshot(let snapshot) = event { lock.withLock { latest = snapshot } }
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
