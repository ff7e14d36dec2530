import Nostr

extension RepoSyncIndex {
    /// Applies an accepted NIP-09 deletion (kind 5) to the index (decisions: The desired index shrinks).
    ///
    /// A repo is removed when the deletion's author owns it and the deletion names either
    /// - its coordinate `30617:<author>:<d>` in an `a` tag, provided the current announcement
    ///   is not newer than the deletion (NIP-09: an `a` deletion covers versions up to its
    ///   `created_at`), or
    /// - the id of its **current** announcement in an `e` tag (deleting an already replaced
    ///   version leaves the repo in place).
    ///
    /// - Returns: the removed refs, sorted.
    @discardableResult
    public mutating func apply(deletion: NostrEvent) -> [RepoRef] {
        var removed: [RepoRef] = []
        for ref in refs(deletedBy: deletion) where remove(ref) { removed.append(ref) }
        return removed
    }

    /// The held repos an accepted kind-5 deletion removes (see ``apply(deletion:)``), sorted.
    public func refs(deletedBy deletion: NostrEvent) -> [RepoRef] {
        guard deletion.kind == NIP34.deletion else { return [] }
        var targets = Set<RepoRef>()
        for value in deletion.tagValues("a") {
            guard let ref = RepoRef(value), ref.kind == NIP34.repoAnnouncement, ref.pubkey == deletion.pubkey,
                  let version = versions[ref], version.createdAt <= deletion.createdAt else { continue }
            targets.insert(ref)
        }
        for id in deletion.tagValues("e") {
            guard let ref = announcementRefs[id], ref.pubkey == deletion.pubkey else { continue }
            targets.insert(ref)
        }
        return targets.sorted()
    }
}
