import Nostr

/// The per-relay targets ``RepoSyncIndex`` keeps up to date as it changes, so that nobody
/// re-derives them from every repo and root event (``deriveRelayTargets(_:)`` is the
/// reference definition; ``RepoSyncIndex/relayTargets`` always equals it).
///
/// A root event can reach one relay through several `.full` repos; it must stay there until
/// the last of them stops contributing it. Only those roots are counted (in
/// ``sharedRootCounts``), so the extra memory is proportional to the roots attached more than
/// once per relay, not to every root: a root present in ``needs`` without a count has exactly
/// one contributor.
///
/// Both maps are functions of the index's repos (no empty inner entries are kept), so the
/// synthesised equality of ``RepoSyncIndex`` is unaffected.
struct RelayTargets: Sendable, Equatable {
    /// What every relay must sync; relays with nothing do not appear.
    private(set) var needs: [RelayURL: RelaySyncNeeds] = [:]
    /// For a root event that more than one `.full` repo contributes to the same relay: how
    /// many do (always at least 2).
    private var sharedRootCounts: [RelayURL: [String: Int]] = [:]

    /// Puts `ref` on `relay` at `level`, replacing the level it had there.
    mutating func setRepo(_ ref: RepoRef, level: SyncLevel, on relay: RelayURL) {
        needs[relay, default: RelaySyncNeeds()].repos[ref] = level
    }

    /// Takes `ref` off `relay` (its roots must have been removed first).
    mutating func removeRepo(_ ref: RepoRef, from relay: RelayURL) {
        needs[relay]?.repos[ref] = nil
        dropIfEmpty(relay)
    }

    /// Adds one contribution of each of `ids` to `relay`. Called only for a relay the
    /// contributing repo is on, so the relay's entry exists.
    mutating func insertRoots(_ ids: some Sequence<String>, on relay: RelayURL) {
        for id in ids { insertRoot(id, on: relay) }
    }

    /// Adds one contribution of `id` to `relay`.
    mutating func insertRoot(_ id: String, on relay: RelayURL) {
        if !needs[relay, default: RelaySyncNeeds()].rootEvents.insert(id).inserted {
            sharedRootCounts[relay, default: [:]][id, default: 1] += 1
        }
    }

    /// Withdraws one contribution of each of `ids` from `relay`; a root leaves the relay
    /// with its last contribution.
    mutating func removeRoots(_ ids: some Sequence<String>, from relay: RelayURL) {
        for id in ids {
            if let count = sharedRootCounts[relay]?[id] {
                sharedRootCounts[relay]![id] = count > 2 ? count - 1 : nil
                if sharedRootCounts[relay]!.isEmpty { sharedRootCounts[relay] = nil }
            } else {
                needs[relay]?.rootEvents.remove(id)
            }
        }
        dropIfEmpty(relay)
    }

    private mutating func dropIfEmpty(_ relay: RelayURL) {
        if needs[relay]?.isEmpty == true { needs[relay] = nil }
    }
}
