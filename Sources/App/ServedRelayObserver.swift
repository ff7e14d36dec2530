import Relay
import Store
import SyncMetrics

/// The served relay's observer callbacks as node events for the Metrics stage (Relay and
/// Metrics do not know each other).
struct ServedRelayObserver: RelayObserver {
    let sink: NodeObservability

    func connectionOpened() { sink.record(.servedConnectionOpened) }
    func connectionClosed() { sink.record(.servedConnectionClosed) }
    func messageReceived(verb: String) { sink.record(.servedMessageReceived(verb: verb)) }
    func negentropySessionOpened() { sink.record(.servedNegentropySessionOpened) }
    func negentropySessionClosed() { sink.record(.servedNegentropySessionClosed) }
    func eventRateLimited(scope: RateLimitScope) { sink.record(.servedEventRateLimited(scope: scope.rawValue)) }
    func connectionRefused(_ reason: ConnectionRefusal) { sink.record(.servedConnectionRefused(reason: reason.rawValue)) }

    func eventIngested(kind: Int, result: IngestResult) {
        switch result {
        case .saved: sink.record(.servedEventStored(kind: kind))
        case .duplicate, .superseded: break
        default:
            let message = result.okAnswer.message
            sink.record(.servedEventRefused(prefix: message.split(separator: ":").first.map(String.init) ?? "error"))
        }
    }
}
