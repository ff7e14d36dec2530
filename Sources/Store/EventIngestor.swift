import Nostr

/// The one path by which events enter the store: verify, check policy, store, remember
/// policy rejections of 30617/30618, and re-process rejected events whose dependency just
/// arrived (reference §7.2-§7.3, §13.4).
public final class EventIngestor: Sendable {
    public let store: any EventStore
    public let policy: AcceptancePolicy
    public let rejected: RejectedEventsIndex
    private let clock: any NodeClock

    public init(store: any EventStore, policy: AcceptancePolicy, rejected: RejectedEventsIndex = RejectedEventsIndex(), clock: any NodeClock = SystemClock()) {
        self.store = store
        self.policy = policy
        self.rejected = rejected
        self.clock = clock
    }

    /// Ingests one event. `verified` skips the signature check when the caller already did it
    /// (parallel verification in sync). `skipKnownRejected` is for events from remote relays:
    /// 30617/30618 already in the rejected index are not evaluated again.
    @discardableResult
    public func ingest(_ event: NostrEvent, verified: Bool = false, skipKnownRejected: Bool = false) -> IngestResult {
        ingest(event, verified: verified, skipKnownRejected: skipKnownRejected, into: store)
    }

    /// Ingests into `target` (the store, or a transaction view of it).
    func ingest(_ event: NostrEvent, verified: Bool, skipKnownRejected: Bool, into target: some EventStore) -> IngestResult {
        var results: [IngestResult] = []
        ingest(event, verified: verified, skipKnownRejected: skipKnownRejected, depth: 0, target: target, results: &results)
        return results[0]
    }

    private func ingest(_ event: NostrEvent, verified: Bool, skipKnownRejected: Bool, depth: Int, target: some EventStore, results: inout [IngestResult]) {
        let result = evaluateAndStore(event, verified: verified, skipKnownRejected: skipKnownRejected, target: target)
        results.append(result)
        guard result == .saved, depth < 16 else { return }
        // Dependency arrival: re-process rejected events this acceptance may now admit.
        let now = clock.now()
        var waiting: [NostrEvent] = []
        let d = event.dTag
        switch event.kind {
        case NIP34.repoAnnouncement:
            for maintainer in NIP34.maintainers(of: event) {
                waiting += rejected.invalidate(pubkey: maintainer, identifier: d, type: .announcement, now: now)
            }
            // Maintainers' states, and the owner's own, may now be authorised.
            for pubkey in [event.pubkey] + NIP34.maintainers(of: event) {
                waiting += rejected.invalidate(pubkey: pubkey, identifier: d, type: .state, now: now)
            }
        case NIP34.repoState:
            waiting += rejected.invalidate(pubkey: event.pubkey, identifier: d, type: .state, now: now)
        default:
            break
        }
        for e in waiting { ingest(e, verified: true, skipKnownRejected: false, depth: depth + 1, target: target, results: &results) }
    }

    private func evaluateAndStore(_ event: NostrEvent, verified: Bool, skipKnownRejected: Bool, target store: some EventStore) -> IngestResult {
        if !verified {
            do { try event.verify() } catch { return .invalid(error) }
        }
        let now = clock.now()
        if skipKnownRejected, RejectedEventType(kind: event.kind) != nil, rejected.contains(event.id, now: now) {
            return .knownRejected
        }
        do {
            if try store.contains(eventID: event.id) { return .duplicate }
            switch try policy.evaluate(event, store: store, now: Int64(now)) {
            case .reject(let why):
                if let reason = why.rejectedReason { rejected.add(event, reason: reason, now: now) }
                return .rejected(why)
            case .accept:
                switch try store.insert(event) {
                case .saved, .ephemeral: return .saved
                case .duplicate: return .duplicate
                case .superseded: return .superseded
                case .deleted: return .deleted
                }
            }
        } catch {
            return .storeFailed(error)
        }
    }
}
