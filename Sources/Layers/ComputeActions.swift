import Health
import Nostr

/// The three-way diff (decisions: Three indexes and one diff): for each target relay, what is
/// desired but neither pending nor confirmed.
///
/// - A relay whose status is `.disconnected` or `.disconnecting` gets no action (it is
///   recomputed when it connects). `.connecting`, every connected status and an unknown relay
///   (nil status) get one; the caller decides whether to register/connect or subscribe.
/// - Pending and confirmed items are excluded, so nothing in flight or done is re-sent
///   (decisions: Diff on every path).
/// - Coverage is level-aware: a repo pending or confirmed at `.stateOnly` but desired at
///   `.full` appears again at `.full` (decisions: Sync level per item).
/// - Relays with nothing new get no action.
/// - `relays`, when given, limits the diff to those relays.
///
/// - Returns: the actions, sorted by relay.
public func computeActions(
    targets: [RelayURL: RelaySyncNeeds],
    pending: PendingSyncIndex,
    confirmed: ConfirmedSyncIndex,
    relays: Set<RelayURL>? = nil,
    status: (RelayURL) -> RelayConnectionStatus?
) -> [AddFilters] {
    var actions: [AddFilters] = []
    // Only the relays asked about: a diff after one relay's change costs that relay's items.
    let considered = relays.map { $0.filter { targets[$0] != nil } } ?? Set(targets.keys)
    for relay in considered.sorted() {
        switch status(relay) {
        case .disconnected?, .disconnecting?: continue
        case nil, .connecting?, .syncing?, .connected?, .connectedHistoricSyncFailures?: break
        }
        // Checked against each source in turn: no union of (possibly tens of thousands of)
        // root ids is built just to be subtracted. Roots are checked against the confirmed
        // set and the pending index's per-relay root counts: two lookups per root, whatever
        // the number of batches in flight.
        let target = targets[relay]!
        let covered = confirmed.needs(for: relay)
        let batches = pending.batches(for: relay).map(\.needs)
        let repos = RelaySyncNeeds(repos: target.repos).subtracting(covered, batches).repos
        let roots = target.rootEvents.filter { !covered.rootEvents.contains($0) && !pending.hasPendingRoot($0, on: relay) }
        let new = RelaySyncNeeds(repos: repos, rootEvents: roots)
        guard !new.isEmpty else { continue }
        actions.append(AddFilters(relay: relay, repos: new.repos, rootEvents: new.rootEvents))
    }
    return actions
}
