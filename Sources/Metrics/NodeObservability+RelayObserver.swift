import Relay
import Store

/// The served relay's observer callbacks as node events.
extension NodeObservability: RelayObserver {
    public func connectionOpened() { record(.servedConnectionOpened) }
    public func connectionClosed() { record(.servedConnectionClosed) }
    public func messageReceived(verb: String) { record(.servedMessageReceived(verb: verb)) }
    public func negentropySessionOpened() { record(.servedNegentropySessionOpened) }
    public func negentropySessionClosed() { record(.servedNegentropySessionClosed) }
    public func eventRateLimited(scope: RateLimitScope) { record(.servedEventRateLimited(scope: scope.rawValue)) }
    public func connectionRefused(_ reason: ConnectionRefusal) { record(.servedConnectionRefused(reason: reason.rawValue)) }

    public func eventIngested(kind: Int, result: IngestResult) {
        switch result {
        case .saved: record(.servedEventStored(kind: kind))
        case .duplicate, .superseded: break
        default:
            let message = result.okAnswer.message
            record(.servedEventRefused(prefix: message.split(separator: ":").first.map(String.init) ?? "error"))
        }
    }
}
