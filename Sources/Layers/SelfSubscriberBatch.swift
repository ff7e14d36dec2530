import Nostr

/// The self-subscriber's batch step (decisions: Self-subscriber window; Diff on every path,
/// Resolve root events fully, The desired index shrinks, Never dial yourself).
///
/// The self-subscriber watches the node's own store for newly accepted events and folds
/// them into the ``RepoSyncIndex``; the caller then runs ``computeActions(targets:pending:confirmed:status:)``
/// for the returned relays, so nothing pending or confirmed is ever re-sent (decisions: Diff on every
/// path).
public enum SelfSubscriberBatch {
    /// Kinds the self-subscriber consumes: announcements (30617), root events (1617, 1618,
    /// 1621) and deletions (5). 10317 is deliberately absent (it is not a root event;
    /// decisions: Resolve root events fully).
    public static let kinds: Set<Int> = [NIP34.repoAnnouncement, NIP34.patch, NIP34.pullRequest, NIP34.issue, NIP34.deletion]

    /// Applies a batch of newly accepted events to `index`.
    ///
    /// Order, so the result does not depend on the order inside the batch:
    /// 1. announcements (``RepoSyncIndex/apply(announcement:ownURLs:)`` keeps the newest whatever
    ///    the order), so root events in the same batch resolve against them
    ///    (decisions: Resolve root events fully);
    /// 2. root events (1617/1618/1621), attached to every repo named by an `a` tag holding a
    ///    `30617:<pk>:<d>` coordinate;
    /// 3. deletions (kind 5) by a repo's owner naming the coordinate (`a`) or the current
    ///    announcement id (`e`) remove the repo (``RepoSyncIndex/apply(deletion:)``;
    ///    decisions: The desired index shrinks).
    ///
    /// Events of other kinds are ignored.
    ///
    /// - Returns: the relays whose derived targets may have changed (the old and new relays of
    ///   every entry that changed).
    public static func apply(_ events: [NostrEvent], to index: inout RepoSyncIndex, ownURLs: Set<RelayURL>) -> Set<RelayURL> {
        var before: [RepoRef: RepoSyncIndex.Entry?] = [:]
        func remember(_ ref: RepoRef) {
            if before[ref] == nil { before[ref] = .some(index.repos[ref]) }
        }

        for event in events where event.kind == NIP34.repoAnnouncement {
            guard let ref = RepoRef(event: event) else { continue }
            remember(ref)
            index.apply(announcement: event, ownURLs: ownURLs)
        }

        for event in events where NIP34.rootKinds.contains(event.kind) {
            let refs = repoRefs(taggedBy: event)
            refs.forEach(remember)
            index.attach(rootEvent: event.id, to: refs)
        }

        for event in events where event.kind == NIP34.deletion {
            for ref in index.refs(deletedBy: event) {
                remember(ref)
                index.remove(ref)
            }
        }

        var relays = Set<RelayURL>()
        for (ref, old) in before {
            let new = index.repos[ref]
            guard old != new else { continue }
            relays.formUnion(old?.relays ?? [])
            relays.formUnion(new?.relays ?? [])
        }
        return relays
    }

    /// The repository coordinates (kind 30617) an event names in its `a` tags, deduplicated, in order.
    public static func repoRefs(taggedBy event: NostrEvent) -> [RepoRef] {
        var seen = Set<RepoRef>()
        return event.tagValues("a").compactMap(RepoRef.init).filter {
            $0.kind == NIP34.repoAnnouncement && seen.insert($0).inserted
        }
    }
}
