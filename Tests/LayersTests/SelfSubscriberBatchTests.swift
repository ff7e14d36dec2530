import Layers
import Nostr
import Testing

/// (decisions: Self-subscriber window, Resolve root events fully, The desired index shrinks,
/// Never dial yourself)
@Suite("SelfSubscriberBatch")
struct SelfSubscriberBatchTests {
    typealias F = LayersFixtures

    @Test("Consumed kinds: 30617, 1617, 1618, 1621, 5 (not 10317, not 30618)")
    func kinds() {
        #expect(SelfSubscriberBatch.kinds == [30617, 1617, 1618, 1621, 5])
    }

    /// (decisions: Resolve root events fully)
    @Test("a root event in the same batch as its announcement resolves, even listed first")
    func sameBatchResolves() {
        let announcement = F.announcement(d: "grasp", relays: ["wss://a.example"])
        let patch = F.rootEvent(kind: NIP34.patch, tagging: [F.ref(of: announcement)])
        var index = RepoSyncIndex()
        let changed = SelfSubscriberBatch.apply([patch, announcement], to: &index, ownURLs: [])
        #expect(index.repos[F.ref(of: announcement)]?.rootEvents == [patch.id])
        #expect(changed == F.urls("wss://a.example"))
        #expect(deriveRelayTargets(index)[F.url("wss://a.example")]?.rootEvents == [patch.id])
    }

    /// (decisions: Resolve root events fully)
    @Test("a root event with two `a` tags attaches to both repos (second one included)")
    func allATagsResolve() {
        let one = F.announcement(d: "one", relays: ["wss://a.example"])
        let two = F.announcement(F.bob, d: "two", relays: ["wss://b.example"])
        var index = RepoSyncIndex()
        _ = SelfSubscriberBatch.apply([one, two], to: &index, ownURLs: [])
        let issue = F.rootEvent(F.carol, tagging: [F.ref(of: one), F.ref(of: two)])
        let changed = SelfSubscriberBatch.apply([issue], to: &index, ownURLs: [])
        #expect(index.repos[F.ref(of: one)]?.rootEvents == [issue.id])
        #expect(index.repos[F.ref(of: two)]?.rootEvents == [issue.id])
        #expect(changed == F.urls("wss://a.example", "wss://b.example"))
        let targets = deriveRelayTargets(index)
        #expect(targets[F.url("wss://b.example")]?.rootEvents == [issue.id])
    }

    /// (decisions: Resolve root events fully)
    @Test("`a` tags that are not 30617 coordinates are ignored; `A`/`q` do not attach")
    func onlyRepoCoordinates() {
        let repo = F.announcement(d: "grasp", relays: ["wss://a.example"])
        var index = RepoSyncIndex()
        _ = SelfSubscriberBatch.apply([repo], to: &index, ownURLs: [])
        let ref = F.ref(of: repo)
        let notRepo = F.bob.sign(kind: NIP34.issue, tags: [
            ["a", "30618:\(ref.pubkey):grasp"], ["a", "garbage"], ["A", ref.description], ["q", ref.description],
        ], content: "", createdAt: 1)
        let changed = SelfSubscriberBatch.apply([notRepo], to: &index, ownURLs: [])
        #expect(changed.isEmpty)
        #expect(index.repos[ref]?.rootEvents == [])
        #expect(SelfSubscriberBatch.repoRefs(taggedBy: notRepo).isEmpty)
    }

    /// (decisions: Resolve root events fully)
    @Test("Kinds outside the set are ignored (10317 is not a root event)")
    func otherKindsIgnored() {
        let repo = F.announcement(d: "grasp", relays: ["wss://a.example"])
        var index = RepoSyncIndex()
        _ = SelfSubscriberBatch.apply([repo], to: &index, ownURLs: [])
        let ref = F.ref(of: repo)
        let graspList = F.bob.sign(kind: NIP34.userGraspList, tags: [["a", ref.description], ["g", "wss://a.example"]], content: "", createdAt: 1)
        let comment = F.bob.sign(kind: NIP34.comment, tags: [["a", ref.description]], content: "", createdAt: 1)
        let prUpdate = F.bob.sign(kind: NIP34.pullRequestUpdate, tags: [["a", ref.description]], content: "", createdAt: 1)
        let before = index
        #expect(SelfSubscriberBatch.apply([graspList, comment, prUpdate], to: &index, ownURLs: []).isEmpty)
        #expect(index == before)
    }

    @Test("Patches, PRs and issues are all root events")
    func rootKinds() {
        let repo = F.announcement(d: "grasp", relays: ["wss://a.example"])
        let ref = F.ref(of: repo)
        let roots = [NIP34.patch, NIP34.pullRequest, NIP34.issue].map { F.rootEvent(kind: $0, tagging: [ref]) }
        var index = RepoSyncIndex()
        _ = SelfSubscriberBatch.apply([repo] + roots, to: &index, ownURLs: [])
        #expect(index.repos[ref]?.rootEvents == Set(roots.map(\.id)))
    }

    /// (decisions: The desired index shrinks)
    @Test("a replacement with fewer relays shrinks targets and reports the dropped relay")
    func replacementShrinksTargets() {
        let v1 = F.announcement(d: "grasp", relays: ["wss://a.example", "wss://b.example"], createdAt: 100)
        let v2 = F.announcement(d: "grasp", relays: ["wss://a.example"], createdAt: 200)
        var index = RepoSyncIndex()
        _ = SelfSubscriberBatch.apply([v1], to: &index, ownURLs: [])
        #expect(Set(deriveRelayTargets(index).keys) == F.urls("wss://a.example", "wss://b.example"))
        let changed = SelfSubscriberBatch.apply([v2], to: &index, ownURLs: [])
        #expect(Set(deriveRelayTargets(index).keys) == F.urls("wss://a.example"))
        #expect(changed == F.urls("wss://a.example", "wss://b.example"))
    }

    /// (decisions: The desired index shrinks)
    @Test("a deletion removes the repo and its targets, also in the same batch as the announcement")
    func deletionRemoves() {
        let repo = F.announcement(d: "grasp", relays: ["wss://a.example"], createdAt: 100)
        let issue = F.rootEvent(tagging: [F.ref(of: repo)])
        var index = RepoSyncIndex()
        _ = SelfSubscriberBatch.apply([repo, issue], to: &index, ownURLs: [])
        #expect(!deriveRelayTargets(index).isEmpty)
        let changed = SelfSubscriberBatch.apply([F.deletion(a: [F.ref(of: repo).description])], to: &index, ownURLs: [])
        #expect(changed == F.urls("wss://a.example"))
        #expect(index.repos.isEmpty)
        #expect(deriveRelayTargets(index).isEmpty)

        var fresh = RepoSyncIndex()
        let deleteByID = F.deletion(e: [repo.id])
        let sameBatch = SelfSubscriberBatch.apply([deleteByID, repo, issue], to: &fresh, ownURLs: [])
        #expect(fresh.repos.isEmpty)
        #expect(sameBatch.isEmpty) // nothing was targeted before, nothing is targeted after
    }

    /// (decisions: Never dial yourself)
    @Test("own relay excluded on the batch path (normalised exact compare)")
    func ownRelayExcluded() {
        let repo = F.announcement(d: "grasp", relays: ["WSS://GRASP.example.com:443/", "wss://a.example"],
                                  clone: ["https://grasp.example.com/npub/grasp.git"])
        var index = RepoSyncIndex()
        let changed = SelfSubscriberBatch.apply([repo], to: &index, ownURLs: [F.own])
        #expect(changed == F.urls("wss://a.example"))
        #expect(Set(deriveRelayTargets(index).keys) == F.urls("wss://a.example"))
    }

    /// (decisions: Diff on every path)
    @Test("Re-applying a batch already applied reports no change (gives the diff nothing)")
    func idempotent() {
        let repo = F.announcement(d: "grasp", relays: ["wss://a.example"])
        let issue = F.rootEvent(tagging: [F.ref(of: repo)])
        var index = RepoSyncIndex()
        #expect(!SelfSubscriberBatch.apply([repo, issue], to: &index, ownURLs: []).isEmpty)
        let snapshot = index
        #expect(SelfSubscriberBatch.apply([repo, issue], to: &index, ownURLs: []).isEmpty)
        #expect(index == snapshot)
    }
}
