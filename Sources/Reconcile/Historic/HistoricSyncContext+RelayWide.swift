import Foundation
import Nostr

extension HistoricSyncContext {
    /// One NIP-77 reconciliation of everything a GRASP server holds (`{}`, with `since`)
    /// against the union of the local listings of `localFilters` (what the relay should hold
    /// for this node: its announcements and lists, and the state, Layer 2 and Layer 3 items of
    /// the batch). A GRASP server stores only events tied to the repositories it hosts, so the
    /// relay-wide set is what the root-id filters would have named, and the NEG-OPEN carries
    /// no values: a no-change re-sync costs one round trip instead of megabytes of root ids.
    ///
    /// A relay that caps listings (`blocked:`) is not bisected in time: the item filters,
    /// each far smaller, are the cheaper plan B.
    ///
    /// Returns the batch's outcome, or nil when the session failed in a way the per-filter
    /// path may still get past (it runs next; a relay that turned out not to do NIP-77 is
    /// recorded first, so that path uses REQ/EOSE).
    func reconcileRelayWide(since: Int64?, localFilters: FilterList) async -> HistoricOutcome? {
        guard await negentropySlots.acquire() else { return .aborted }
        let result = await reconcile(Filter(since: since), localFilters: localFilters, splitBlockedWindows: false)
        await negentropySlots.release()
        switch result {
        case .success(let diff):
            await reconciler.learnedNegentropy(generation: generation, supported: true)
            let wanted = wantedIDs(diff)
            await reconciler.relayWideReconciled(rounds: diff.rounds, bytesSent: diff.bytesSent, bytesReceived: diff.bytesReceived,
                                                 need: diff.need.count, fetching: wanted.count)
            return await fetch(ids: wanted)
        case .failure(.disconnected):
            return .aborted
        case .failure(let failure) where await learnedUnsupported(from: failure):
            break
        case .failure(let failure):
            await reconciler.relayWideFailed(reason: failure.description)
        }
        return nil
    }
}
