import Nostr

extension RepoSyncIndex {
    /// What every relay must sync, kept up to date by every mutation of the index (perf at
    /// 1,000,000 events showed most of the engine's CPU re-deriving it on each change).
    ///
    /// Always equal to ``deriveRelayTargets(_:)`` of this index: each repo on each of its
    /// relays at its level, root events of `.full` repos on the same relays (deduplicated),
    /// relays with nothing absent.
    public var relayTargets: [RelayURL: RelaySyncNeeds] { targets.needs }

    /// Moves `ref`'s contribution to ``relayTargets`` from entry `old` to entry `new` (nil: not
    /// held).
    ///
    /// While a repo is held its root events only grow, so the caller passes the roots `new`
    /// has and `old` lacks as `addedRoots` instead of having every root set diffed here.
    mutating func retarget(_ ref: RepoRef, from old: Entry?, to new: Entry?, addedRoots: Set<String> = []) {
        let oldFull = old?.level == .full
        if let old {
            for relay in old.relays where !(new?.relays.contains(relay) ?? false) {
                if oldFull { targets.removeRoots(old.rootEvents, from: relay) }
                targets.removeRepo(ref, from: relay)
            }
        }
        guard let new else { return }
        let newFull = new.level == .full
        for relay in new.relays {
            guard let old, old.relays.contains(relay) else {
                targets.setRepo(ref, level: new.level, on: relay)
                if newFull { targets.insertRoots(new.rootEvents, on: relay) }
                continue
            }
            if old.level != new.level { targets.setRepo(ref, level: new.level, on: relay) }
            switch (oldFull, newFull) {
            case (true, true): targets.insertRoots(addedRoots, on: relay)
            case (false, true): targets.insertRoots(new.rootEvents, on: relay)
            case (true, false): targets.removeRoots(old.rootEvents, from: relay)
            case (false, false): break
            }
        }
    }
}
