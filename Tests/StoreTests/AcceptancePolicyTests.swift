import Foundation
import Nostr
import Store
import Testing

/// The reference's "tests/nip34_announcements.rs" (P1-P16) and "tests/state_authorization.rs"
/// (S1-S4) checks (decisions: Acceptance policy without git hosting, Ported reference checks), each on a fresh in-memory store through `EventIngestor`.
@Suite("Acceptance policy: announcements (P1-P4)")
struct AnnouncementPolicyTests {
    @Test("P1 accept an announcement listing the service in clone and relays")
    func p1AcceptsListedAnnouncement() throws {
        let h = try Harness(Configs.strict)
        let a = listedAnnouncement(Keys.owner)
        #expect(h.ingest(a) == .saved)
        #expect(try h.stored(a))
        #expect(h.rejected.contains(a.id, now: Double(t0)) == false)
    }

    @Test("P2 reject an announcement missing the service in clone")
    func p2RejectsMissingClone() throws {
        let h = try Harness(Configs.strict)
        let a = announcement(Keys.owner, relays: [serviceRelay, foreignRelay], clone: [foreignClone(Keys.owner, "repo")])
        #expect(h.ingest(a) == .rejected(.doesNotListService))
        #expect(try h.stored(a) == false)
        // Remembered as rejected, for re-processing and for sync to skip.
        #expect(h.rejected.contains(a.id, now: Double(t0)))
        #expect(h.rejected.counts().cold == [.announcement: 1])
    }

    @Test("P2 (ssh clone URL on the service host does not count)")
    func p2RejectsNonHTTPClone() throws {
        let h = try Harness(Configs.strict)
        let a = announcement(Keys.owner, relays: [serviceRelay], clone: ["ssh://git@127.0.0.1:7334/repo.git"])
        #expect(h.ingest(a) == .rejected(.doesNotListService))
    }

    @Test("P3 reject an announcement missing the service in relays")
    func p3RejectsMissingRelays() throws {
        let h = try Harness(Configs.strict)
        let a = announcement(Keys.owner, relays: [foreignRelay], clone: [serviceClone(Keys.owner, "repo"), foreignClone(Keys.owner, "repo")])
        #expect(h.ingest(a) == .rejected(.doesNotListService))
        #expect(try h.stored(a) == false)
        let answer = h.ingest(a).okAnswer
        #expect(answer.accepted == false)
        #expect(answer.message == "blocked: announcement must list this relay in its 'relays' tag")
    }

    @Test("relays listing alone suffices without requireCloneListing; spelling is normalised")
    func lenientNeedsOnlyRelays() throws {
        let h = try Harness(Configs.lenient)
        let a = announcement(Keys.owner, relays: ["WS://127.0.0.1:7334/"], clone: [foreignClone(Keys.owner, "repo")])
        #expect(h.ingest(a) == .saved)
        let b = announcement(Keys.second, relays: [foreignRelay], clone: [serviceClone(Keys.second, "repo")])
        #expect(h.ingest(b) == .rejected(.doesNotListService))
    }

    @Test("P4 accept a recursive maintainer's announcement that does not list the service")
    func p4AcceptsRecursiveMaintainer() throws {
        let h = try Harness(Configs.strict)
        let owner = listedAnnouncement(Keys.owner, maintainers: [Keys.maintainer.publicKey])
        let maintainer = unlistedAnnouncement(Keys.maintainer, maintainers: [Keys.second.publicKey])
        let maintainersMaintainer = unlistedAnnouncement(Keys.second)
        let outsider = unlistedAnnouncement(Keys.outsider)
        #expect(h.ingest(owner) == .saved)
        #expect(h.ingest(maintainer) == .saved)              // listed by the owner
        #expect(h.ingest(maintainersMaintainer) == .saved)   // listed by the maintainer's stored announcement
        #expect(h.ingest(outsider) == .rejected(.doesNotListService))
        // The exception is per identifier.
        #expect(h.ingest(unlistedAnnouncement(Keys.maintainer, d: "other")) == .rejected(.doesNotListService))
        #expect(Set(try h.store.announcements(identifier: "repo").map(\.pubkey))
                == [Keys.owner.publicKey, Keys.maintainer.publicKey, Keys.second.publicKey])
    }

    @Test("an owner's replacement that drops the service is accepted (maintainer exception)")
    func ownerReplacementDroppingService() throws {
        let h = try Harness(Configs.strict)
        #expect(h.ingest(listedAnnouncement(Keys.owner, createdAt: t0)) == .saved)
        let replacement = unlistedAnnouncement(Keys.owner, createdAt: t0 + 10)
        #expect(h.ingest(replacement) == .saved)
        #expect(try h.store.announcements(identifier: "repo") == [replacement])
    }

    @Test("archive mode accepts any structurally valid announcement")
    func archiveModeAcceptsAnything() throws {
        var config = Configs.strict
        config.archiveAll = true
        let h = try Harness(config)
        let a = announcement(Keys.outsider, relays: [], clone: [])
        #expect(h.ingest(a) == .saved)
        #expect(h.ingest(unlistedAnnouncement(Keys.second)) == .saved)
        // Still structurally validated.
        #expect(h.ingest(announcement(Keys.third, d: "a/b", relays: [], clone: [])) == .rejected(.malformedAnnouncement("invalid identifier")))
    }

    @Test("malformed announcements are rejected", arguments: [
        ([["name", "x"], ["relays", serviceRelay]], "missing 'd' tag"),
        ([["d", "a/b"], ["relays", serviceRelay]], "invalid identifier"),
        ([["d", "a\\b"], ["relays", serviceRelay]], "invalid identifier"),
        ([["d", ""], ["relays", serviceRelay]], "invalid identifier"),
        ([["d", ".."], ["relays", serviceRelay]], "invalid identifier"),
        ([["d", "."], ["relays", serviceRelay]], "invalid identifier"),
        ([["d", "repo"], ["relays", serviceRelay], ["clone", "http://127.0.0.1:7334/a.git"], ["clone", "https://x/a.git"]],
         "more than one 'clone' tag"),
    ])
    func malformedAnnouncements(tags: [[String]], problem: String) throws {
        var config = Configs.lenient
        config.archiveAll = true
        let h = try Harness(config)
        let event = Keys.owner.sign(kind: 30617, tags: tags, createdAt: t0)
        let result = h.ingest(event)
        #expect(result == .rejected(.malformedAnnouncement(problem)))
        #expect(result.okAnswer.accepted == false)
        #expect(result.okAnswer.message == "invalid: malformed repository announcement: \(problem)")
        #expect(try h.stored(event) == false)
        #expect(AcceptancePolicy.announcementProblem(event) == problem)
    }

    @Test func wellFormedAnnouncementHasNoProblem() {
        #expect(AcceptancePolicy.announcementProblem(listedAnnouncement(Keys.owner, d: "my-repo.v2")) == nil)
    }
}

@Suite("Acceptance policy: related events (P5-P16)")
struct RelatedEventPolicyTests {
    /// A fresh harness with the owner's "repo" announcement accepted.
    private func withRepo() throws -> Harness {
        let h = try Harness(Configs.strict)
        try #require(h.ingest(listedAnnouncement(Keys.owner)) == .saved)
        return h
    }

    private var coordinate: String { repoCoordinate(Keys.owner, "repo") }

    @Test("P5 accept an issue referencing an accepted repo via a")
    func p5IssueViaA() throws {
        let h = try withRepo()
        let issue = Keys.outsider.sign(kind: 1621, tags: [["a", coordinate], ["p", Keys.owner.publicKey]], content: "bug", createdAt: t0)
        #expect(h.ingest(issue) == .saved)
        #expect(try h.stored(issue))
    }

    @Test("P6 accept a NIP-22 comment referencing an accepted repo via A")
    func p6CommentViaUpperA() throws {
        let h = try withRepo()
        let comment = Keys.outsider.sign(kind: 1111, tags: [["A", coordinate], ["K", "30617"]], content: "nice", createdAt: t0)
        #expect(h.ingest(comment) == .saved)
    }

    @Test("P7 accept a kind-1 note referencing an accepted repo via q (coordinate)")
    func p7NoteViaQCoordinate() throws {
        let h = try withRepo()
        let note = Keys.outsider.sign(kind: 1, tags: [["q", coordinate]], content: "look", createdAt: t0)
        #expect(h.ingest(note) == .saved)
    }

    @Test("P8 accept an issue quoting an accepted issue via q (id)")
    func p8IssueQuotingIssue() throws {
        let h = try withRepo()
        let first = Keys.outsider.sign(kind: 1621, tags: [["a", coordinate]], content: "first", createdAt: t0)
        try #require(h.ingest(first) == .saved)
        let second = Keys.second.sign(kind: 1621, tags: [["q", first.id]], content: "dup of", createdAt: t0 + 1)
        #expect(h.ingest(second) == .saved)
    }

    @Test("P9 accept a comment with E to an accepted issue")
    func p9CommentViaUpperE() throws {
        let h = try withRepo()
        let issue = Keys.outsider.sign(kind: 1621, tags: [["a", coordinate]], content: "bug", createdAt: t0)
        try #require(h.ingest(issue) == .saved)
        let comment = Keys.second.sign(kind: 1111, tags: [["E", issue.id], ["K", "1621"]], content: "+1", createdAt: t0 + 1)
        #expect(h.ingest(comment) == .saved)
    }

    @Test("P10 accept a kind-1 reply via e to an accepted kind-1")
    func p10ReplyViaE() throws {
        let h = try withRepo()
        let root = Keys.outsider.sign(kind: 1, tags: [["q", coordinate]], content: "root", createdAt: t0)
        try #require(h.ingest(root) == .saved)
        let reply = Keys.second.sign(kind: 1, tags: [["e", root.id, "", "root"]], content: "reply", createdAt: t0 + 1)
        #expect(h.ingest(reply) == .saved)
    }

    @Test("P11 accept a kind-1 note that an accepted issue already references")
    func p11ForwardReferenceFromIssue() throws {
        let h = try withRepo()
        let note = Keys.second.sign(kind: 1, content: "context", createdAt: t0)
        let issue = Keys.outsider.sign(kind: 1621, tags: [["a", coordinate], ["e", note.id]], content: "see note", createdAt: t0 + 1)
        try #require(h.ingest(issue) == .saved)
        #expect(h.ingest(note) == .saved)
    }

    @Test("P12 accept a comment that an accepted comment already references")
    func p12ForwardReferenceFromComment() throws {
        let h = try withRepo()
        let parent = Keys.second.sign(kind: 1111, tags: [["E", unknownID], ["K", "1621"]], content: "parent", createdAt: t0)
        #expect(h.ingest(parent) == .rejected(.unrelated(kind: 1111)))
        let child = Keys.outsider.sign(kind: 1111, tags: [["A", coordinate], ["e", parent.id]], content: "child", createdAt: t0 + 1)
        try #require(h.ingest(child) == .saved)
        #expect(h.ingest(parent) == .saved)
    }

    @Test("P13 accept a kind-1 that an accepted kind-1 already references")
    func p13ForwardReferenceNoteToNote() throws {
        let h = try withRepo()
        let quoted = Keys.second.sign(kind: 1, content: "quoted", createdAt: t0)
        let quoting = Keys.outsider.sign(kind: 1, tags: [["q", coordinate], ["q", quoted.id]], content: "quoting", createdAt: t0 + 1)
        try #require(h.ingest(quoting) == .saved)
        #expect(h.ingest(quoted) == .saved)
    }

    @Test("forward reference to a replaceable or addressable event via its coordinate")
    func forwardReferenceByCoordinate() throws {
        let h = try withRepo()
        let profile = Keys.second.sign(kind: 10002, tags: [["r", foreignRelay]], createdAt: t0)
        let article = Keys.second.sign(kind: 30023, tags: [["d", "post"]], content: "article", createdAt: t0)
        #expect(h.ingest(profile) == .rejected(.unrelated(kind: 10002)))
        #expect(h.ingest(article) == .rejected(.unrelated(kind: 30023)))
        let pointer = Keys.outsider.sign(kind: 1621, tags: [["a", coordinate], ["a", "10002:\(Keys.second.publicKey):"],
                                                             ["q", "30023:\(Keys.second.publicKey):post"]], createdAt: t0 + 1)
        try #require(h.ingest(pointer) == .saved)
        #expect(h.ingest(profile) == .saved)
        #expect(h.ingest(article) == .saved)
    }

    @Test("P14 reject an issue referencing an unaccepted repo")
    func p14IssueForUnacceptedRepo() throws {
        let h = try withRepo()
        let issue = Keys.outsider.sign(kind: 1621, tags: [["a", repoCoordinate(Keys.outsider, "repo")]], content: "bug", createdAt: t0)
        let result = h.ingest(issue)
        #expect(result == .rejected(.unrelated(kind: 1621)))
        #expect(result.okAnswer.message == "blocked: kind 1621 event must reference an accepted repository or accepted event")
        #expect(try h.stored(issue) == false)
        // Not a 30617/30618: not kept in the rejected index.
        #expect(h.rejected.sizes == (hot: 0, cold: 0))
    }

    @Test("P15 reject a kind-1 with no references")
    func p15NoteWithoutReferences() throws {
        let h = try withRepo()
        let note = Keys.outsider.sign(kind: 1, content: "hello", createdAt: t0)
        #expect(h.ingest(note) == .rejected(.unrelated(kind: 1)))
        #expect(try h.store.count([Filter(kinds: [1])]) == 0)
    }

    @Test("P16 reject a comment quoting a different, unaccepted repo")
    func p16CommentForOtherRepo() throws {
        let h = try withRepo()
        let comment = Keys.outsider.sign(kind: 1111, tags: [["q", repoCoordinate(Keys.owner, "other-repo")], ["e", unknownID]],
                                         content: "wrong repo", createdAt: t0)
        #expect(h.ingest(comment) == .rejected(.unrelated(kind: 1111)))
    }
}

@Suite("Acceptance policy: repository state (S1-S4)")
struct StatePolicyTests {
    @Test("S1 state with no announcement for its identifier is rejected")
    func s1NoAnnouncement() throws {
        let h = try Harness(Configs.strict)
        #expect(h.ingest(listedAnnouncement(Keys.owner, d: "other")) == .saved)
        let state = repoState(Keys.owner, d: "repo")
        let result = h.ingest(state)
        #expect(result == .rejected(.noAnnouncement))
        #expect(result.okAnswer.accepted == false)
        #expect(result.okAnswer.message.contains("no announcement exists"))
        #expect(result.okAnswer.message.hasPrefix("invalid: "))
        #expect(h.rejected.counts().hot == [.state: 1])
    }

    @Test("S2 state by neither owner nor maintainer is rejected as not authorized")
    func s2NotAuthorized() throws {
        let h = try Harness(Configs.strict)
        let a = listedAnnouncement(Keys.owner, maintainers: [Keys.maintainer.publicKey])
        #expect(h.ingest(a) == .saved)  // our node stores it: no purgatory
        #expect(try h.stored(a))
        let state = repoState(Keys.outsider)
        let result = h.ingest(state)
        #expect(result == .rejected(.notAuthorized))
        #expect(result.okAnswer.message.contains("not authorized"))
        #expect(result.okAnswer.message.hasPrefix("invalid: "))
        #expect(try h.stored(state) == false)
    }

    @Test("S3 state by the owner is accepted")
    func s3Owner() throws {
        let h = try Harness(Configs.strict)
        #expect(h.ingest(listedAnnouncement(Keys.owner)) == .saved)
        let state = repoState(Keys.owner)
        #expect(h.ingest(state) == .saved)
        #expect(try h.stored(state))
    }

    @Test("S4 state by a listed maintainer is accepted, recursively")
    func s4Maintainer() throws {
        let h = try Harness(Configs.strict)
        #expect(h.ingest(listedAnnouncement(Keys.owner, maintainers: [Keys.maintainer.publicKey])) == .saved)
        #expect(h.ingest(repoState(Keys.maintainer)) == .saved)
        // A maintainer of the maintainer is authorised once the maintainer's announcement lists them.
        #expect(h.ingest(repoState(Keys.second)) == .rejected(.notAuthorized))
        #expect(h.ingest(unlistedAnnouncement(Keys.maintainer, maintainers: [Keys.second.publicKey])) == .saved)
        let state = repoState(Keys.second, createdAt: t0 + 1)
        #expect(h.ingest(state) == .saved)
        #expect(try h.stored(state))
    }

    @Test func stateWithoutDIsMalformed() throws {
        let h = try Harness(Configs.strict)
        let state = Keys.owner.sign(kind: 30618, tags: [["refs/heads/main", String(repeating: "b", count: 40)]], createdAt: t0)
        #expect(h.ingest(state) == .rejected(.malformedState))
    }

    @Test func recursiveMaintainersIsCycleSafe() {
        let graph = ["o": ["m1"], "m1": ["m2", "o"], "m2": ["m1", "m3"], "x": ["y"]]
        #expect(AcceptancePolicy.recursiveMaintainers(of: "o", in: graph) == ["o", "m1", "m2", "m3"])
        #expect(AcceptancePolicy.recursiveMaintainers(of: "x", in: graph) == ["x", "y"])
        #expect(AcceptancePolicy.recursiveMaintainers(of: "lonely", in: graph) == ["lonely"])
    }
}

@Suite("Acceptance policy: limits, blocking and unconditional kinds")
struct GeneralPolicyTests {
    @Test func blockedAuthorIsRejectedForEveryKind() throws {
        var config = Configs.strict
        config.blockedAuthors = [Keys.outsider.publicKey]
        let h = try Harness(config)
        for event in [listedAnnouncement(Keys.outsider), Keys.outsider.sign(kind: 10317, createdAt: t0),
                      Keys.outsider.sign(kind: 5, tags: [["e", unknownID]], createdAt: t0)] {
            let result = h.ingest(event)
            #expect(result == .rejected(.blockedAuthor))
            #expect(result.okAnswer == (accepted: false, message: "blocked: event author is blocked on this relay"))
            #expect(try h.stored(event) == false)
        }
        // Others are unaffected.
        #expect(h.ingest(listedAnnouncement(Keys.owner)) == .saved)
    }

    @Test func tooManyTags() throws {
        var config = Configs.strict
        config.maxTags = 3
        let h = try Harness(config)
        let atLimit = Keys.owner.sign(kind: 10317, tags: [["g", "a"], ["g", "b"], ["g", "c"]], createdAt: t0)
        let over = Keys.outsider.sign(kind: 10317, tags: [["g", "a"], ["g", "b"], ["g", "c"], ["g", "d"]], createdAt: t0)
        #expect(h.ingest(atLimit) == .saved)
        #expect(h.ingest(over) == .rejected(.tooManyTags(limit: 3)))
        #expect(h.ingest(over).okAnswer.message == "invalid: too many tags (limit 3)")
    }

    @Test func contentTooLargeCountsUTF8Bytes() throws {
        var config = Configs.strict
        config.maxContentBytes = 10
        let h = try Harness(config)
        #expect(h.ingest(Keys.owner.sign(kind: 10317, content: "ééééé", createdAt: t0)) == .saved) // 10 bytes
        let over = Keys.outsider.sign(kind: 10317, content: "éééééé", createdAt: t0)               // 12 bytes
        #expect(h.ingest(over) == .rejected(.contentTooLarge(limit: 10)))
        #expect(h.ingest(over).okAnswer.message == "invalid: content larger than 10 bytes")
    }

    @Test func createdAtTooFarInFuture() throws {
        var config = Configs.strict
        config.maxFutureSeconds = 900
        let h = try Harness(config)
        #expect(h.ingest(Keys.owner.sign(kind: 10317, createdAt: t0 + 900)) == .saved)
        let future = Keys.outsider.sign(kind: 10317, createdAt: t0 + 901)
        #expect(h.ingest(future) == .rejected(.createdAtInFuture(limit: 900)))
        // Virtual time moves on: the same event becomes acceptable.
        h.clock.advance(by: 1)
        #expect(h.ingest(future) == .saved)
    }

    @Test func userGraspListIsAcceptedUnconditionally() throws {
        let h = try Harness(Configs.strict)
        let list = Keys.outsider.sign(kind: 10317, tags: [["g", foreignRelay]], createdAt: t0)
        #expect(h.ingest(list) == .saved)
        #expect(try h.stored(list))
    }

    @Test func deletionIsAcceptedAndApplied() throws {
        let h = try Harness(Configs.strict)
        let list = Keys.owner.sign(kind: 10317, createdAt: t0)
        try #require(h.ingest(list) == .saved)
        let deletion = Keys.owner.sign(kind: 5, tags: [["e", list.id], ["e", unknownID]], content: "bye", createdAt: t0 + 1)
        #expect(h.ingest(deletion) == .saved)
        #expect(try h.stored(deletion))
        #expect(try h.stored(list) == false)
        let result = h.ingest(list)
        #expect(result == .deleted)
        #expect(result.okAnswer == (accepted: false, message: "blocked: this event was deleted by its author"))
    }

    @Test func policyEvaluatesDirectly() throws {
        let store = try SQLiteEventStore()
        let policy = AcceptancePolicy(configuration: Configs.strict)
        #expect(try policy.evaluate(listedAnnouncement(Keys.owner), store: store, now: t0) == .accept)
        #expect(try policy.evaluate(repoState(Keys.owner), store: store, now: t0) == .reject(.noAnnouncement))
        #expect(policy.listsService(listedAnnouncement(Keys.owner)))
        #expect(policy.listsService(unlistedAnnouncement(Keys.owner)) == false)
        // Store failures propagate (fail-secure).
        #expect(throws: StoreError.self) {
            _ = try policy.evaluate(unlistedAnnouncement(Keys.owner), store: FailingStore(), now: t0)
        }
    }
}
