import Nostr
import Store
import SyncMetrics
import Transport

/// Events remote relays deliver go into the store like any client's (the acceptance
/// policy decides), skipping ids the rejected-events index already refuses; what was saved
/// is counted per relay.
struct SyncedEventSink: InboundEventSink {
    let ingestor: EventIngestor
    let emit: @Sendable (NodeEvent) -> Void

    func ingest(_ events: [NostrEvent], from relay: RelayURL) async -> Int {
        let saved = ingestor.ingest(batch: events, skipKnownRejected: true).filter { $0 == .saved }.count
        if saved > 0 { emit(.eventsSynced(relay, count: saved)) }
        return saved
    }
}
