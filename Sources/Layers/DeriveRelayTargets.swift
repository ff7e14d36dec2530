import Nostr

/// Derives what every relay must sync from the desired index (decisions: Three indexes and one diff).
///
/// For each repo and each of its relays the repo is added at its level; root events of
/// `.full` repos are added to the same relays (Layer 3 follows the repo, root events never
/// contribute relays); root events of `.stateOnly` repos are ignored. Root events are
/// deduplicated across repos. Relays with nothing to sync do not appear.
///
/// The reference definition: the engine reads ``RepoSyncIndex/relayTargets``, which the index
/// keeps equal to this as it changes instead of walking every repo and root event.
public func deriveRelayTargets(_ index: RepoSyncIndex) -> [RelayURL: RelaySyncNeeds] {
    var targets: [RelayURL: RelaySyncNeeds] = [:]
    for (ref, entry) in index.repos {
        for relay in entry.relays {
            targets[relay, default: RelaySyncNeeds()].insert(ref, level: entry.level)
            if entry.level == .full {
                targets[relay]!.rootEvents.formUnion(entry.rootEvents)
            }
        }
    }
    return targets
}
