import Logging
import Nostr

/// The one path by which events enter the store: verify, check policy, store, remember
/// policy rejections of 30617/30618, and re-process rejected events whose dependency just
/// arrived (decisions: Rejected-events index). Events refused only because what they reference is
/// not stored yet are held in ``deferred`` and ingested again when it is saved, so uploads
/// and sync pages that arrive newest first lose nothing.
public final class EventIngestor: Sendable {
    public let store: any EventStore
    public let policy: AcceptancePolicy
    public let rejected: RejectedEventsIndex
    /// Events waiting for the repository or event they reference.
    public let deferred: DeferredEventsIndex
    let clock: any NodeClock
    /// Where store failures are logged (every one, with SQLite's result code and text),
    /// whichever path the event came by: a client's EVENT, sync, import.
    let logger: Logger

    public init(store: any EventStore, policy: AcceptancePolicy, rejected: RejectedEventsIndex = RejectedEventsIndex(),
                deferred: DeferredEventsIndex = DeferredEventsIndex(), clock: any NodeClock = SystemClock(), logger: Logger = Logger(label: "grasp-sync.store")) {
        self.store = store
        self.policy = policy
        self.rejected = rejected
        self.deferred = deferred
        self.clock = clock
        self.logger = logger
    }

    /// Ingests one event. `verified` skips the signature check when the caller already did it
    /// (parallel verification in sync). `skipKnownRejected` is for events from remote relays:
    /// 30617/30618 already in the rejected index are not evaluated again.
    @discardableResult
    public func ingest(_ event: NostrEvent, verified: Bool = false, skipKnownRejected: Bool = false) -> IngestResult {
        var tally = DeferredTally()
        let result = ingest(event, verified: verified, skipKnownRejected: skipKnownRejected, into: store, tally: &tally)
        deferred.recordAccepted(tally.accepted)
        return result
    }

    /// What re-processing of deferred events did during one call: the caller settles it
    /// with ``deferred`` once the writes are committed (or put the events back if not).
    struct DeferredTally {
        var taken: [NostrEvent] = []
        var accepted = 0
    }

    /// One event to evaluate. `depth` counts rejected-index re-processing only (bounded at
    /// 16, as before); deferred cascades are bounded by the index itself, since every
    /// event taken out is gone from it.
    private struct Work {
        var event: NostrEvent
        var verified: Bool
        var skipKnownRejected: Bool
        var depth: Int
        var fromDeferred: Bool
    }

    /// Ingests into `target` (the store, or a transaction view of it) and everything its
    /// acceptance unblocks, into the same target; returns the result for `event` itself.
    func ingest(_ event: NostrEvent, verified: Bool, skipKnownRejected: Bool, into target: some EventStore, tally: inout DeferredTally) -> IngestResult {
        // A work list, depth first in the order dependents are found: cascades
        // (announcement -> issue -> comment -> status ...) may be arbitrarily deep.
        var stack = [Work(event: event, verified: verified, skipKnownRejected: skipKnownRejected, depth: 0, fromDeferred: false)]
        var first: IngestResult?
        while let work = stack.popLast() {
            let result = evaluateAndStore(work.event, verified: work.verified, skipKnownRejected: work.skipKnownRejected, target: target)
            if first == nil { first = result }
            guard result == .saved else { continue }
            if work.fromDeferred { tally.accepted += 1 }
            let now = clock.now()
            var next: [Work] = []
            if work.depth < 16 {
                for e in rejectedWaiting(on: work.event, now: now) {
                    next.append(Work(event: e, verified: true, skipKnownRejected: false, depth: work.depth + 1, fromDeferred: false))
                }
            }
            // An ephemeral event is not stored, so nothing waiting on it can be admitted.
            if work.event.kindClass != .ephemeral {
                let ready = deferred.take(waitingOn: work.event, now: now)
                tally.taken += ready
                for e in ready {
                    next.append(Work(event: e, verified: true, skipKnownRejected: false, depth: work.depth, fromDeferred: true))
                }
            }
            stack += next.reversed()
        }
        return first!
    }

    /// Dependency arrival: the rejected 30617/30618 events the acceptance of `event` may now admit.
    private func rejectedWaiting(on event: NostrEvent, now: Double) -> [NostrEvent] {
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
        return waiting
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
                // Only a missing reference may resolve later; the answer stays the honest
                // refusal of this moment.
                if case .unrelated = why { deferred.add(event, now: now) }
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
            logger.error("store error while ingesting event \(event.id) (kind \(event.kind)): \(error.description)")
            return .storeFailed(error)
        }
    }
}
