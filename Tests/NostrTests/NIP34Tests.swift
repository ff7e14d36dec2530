import Testing
import Nostr

enum NIP34Fixtures {
    static let announcementTags: [[String]] = [
        ["d", "grasp:sync"],
        ["name", "grasp-sync"],
        ["clone", "https://relay.example.com/npub1x/grasp.git", "git://example.org/x.git"],
        ["relays", "wss://relay.example.com/", "wss://nos.lol"],
        ["maintainers", Fixtures.publicKeyHex],
    ]

    /// Signed by `Fixtures.keypair` with zero aux_rand; id and sig checked independently in
    /// CanonicalSerializationTests.
    static let announcement = Fixtures.keypair.sign(
        kind: NIP34.repoAnnouncement, tags: announcementTags, content: "A Swift relay node.",
        createdAt: 1_721_000_000, auxRand: Fixtures.zeroAux)
}

@Suite("NIP-34 helpers")
struct NIP34Tests {
    @Test("Kind constants")
    func kinds() {
        #expect(NIP34.repoAnnouncement == 30617)
        #expect(NIP34.repoState == 30618)
        #expect(NIP34.patch == 1617)
        #expect(NIP34.pullRequest == 1618)
        #expect(NIP34.pullRequestUpdate == 1619)
        #expect(NIP34.issue == 1621)
        #expect(NIP34.comment == 1111)
        #expect(NIP34.userGraspList == 10317)
        #expect(NIP34.deletion == 5)
        #expect(Array(NIP34.statusKinds) == [1630, 1631, 1632, 1633])
        #expect(NIP34.rootKinds == [1617, 1618, 1621])
        #expect(EventKindClass(kind: NIP34.repoAnnouncement) == .addressable)
        #expect(EventKindClass(kind: NIP34.repoState) == .addressable)
        #expect(EventKindClass(kind: NIP34.userGraspList) == .replaceable)
    }

    @Test("multiValues collects every value of every tag with the name, in order")
    func multiValues() {
        let event = Fixtures.event(kind: 30617, tags: [
            ["relays", "wss://a", "wss://b"], ["clone", "https://x/y.git"], ["relays"], ["relays", "wss://c"],
            ["Relays", "wss://upper"], ["r", "relays"], [],
        ])
        #expect(NIP34.multiValues(event, "relays") == ["wss://a", "wss://b", "wss://c"])
        #expect(NIP34.multiValues(event, "clone") == ["https://x/y.git"])
        #expect(NIP34.multiValues(event, "web") == [])
    }

    @Test("relays(of:) normalises and drops unparsable values")
    func relays() {
        let event = Fixtures.event(kind: 30617, tags: [
            ["relays", "wss://Relay.Example.com/", "https://not-a-relay.example", "relay.two.example", "not a url"],
            ["relays", "ws://127.0.0.1:7777/", ""],
        ])
        #expect(NIP34.relays(of: event).map(\.description) == [
            "wss://relay.example.com", "wss://relay.two.example", "ws://127.0.0.1:7777",
        ])
    }

    @Test("cloneURLs(of:) returns the raw values from one or several tags")
    func cloneURLs() {
        let event = Fixtures.event(kind: 30617, tags: [
            ["clone", "https://a.example/r.git", "git@b.example:r.git"], ["clone", "ssh://c.example/r.git"],
        ])
        #expect(NIP34.cloneURLs(of: event) == ["https://a.example/r.git", "git@b.example:r.git", "ssh://c.example/r.git"])
    }

    @Test("maintainers(of:) keeps lowercase 64-hex keys only")
    func maintainers() {
        let a = Fixtures.hex64("a"), b = Fixtures.hex64("b")
        let event = Fixtures.event(kind: 30617, tags: [
            ["maintainers", a, Fixtures.hex64("C"), "npub1xyz", b], ["maintainers", String(a.dropLast())],
        ])
        #expect(NIP34.maintainers(of: event) == [a, b])
    }

    @Test("syncRelays: relays then http(s) clone hosts, normalised and deduplicated in order")
    func syncRelays() {
        let event = Fixtures.event(kind: 30617, tags: [
            ["relays", "wss://relay.example.com/", "wss://RELAY.example.com:443", "wss://other.example"],
            ["clone", "https://relay.example.com/npub1x/repo.git", "git://git.example/repo.git", "http://127.0.0.1:41463/x.git"],
            ["clone", "ssh://git@ssh.example/repo.git", "https://other.example/npub/repo.git", "https://mirror.example:8443/r.git"],
        ])
        #expect(NIP34.syncRelays(of: event).map(\.description) == [
            "wss://relay.example.com", "wss://other.example", "ws://127.0.0.1:41463", "wss://mirror.example:8443",
        ])
    }

    @Test("syncRelays of the signed announcement")
    func syncRelaysOfAnnouncement() {
        let event = NIP34Fixtures.announcement
        #expect(event.isValid)
        #expect(NIP34.syncRelays(of: event).map(\.description) == ["wss://relay.example.com", "wss://nos.lol"])
        #expect(NIP34.maintainers(of: event) == [Fixtures.publicKeyHex])
        #expect(event.dTag == "grasp:sync")
    }

    @Test("syncRelays is empty without relays or http(s) clones")
    func syncRelaysEmpty() {
        #expect(NIP34.syncRelays(of: Fixtures.event(kind: 30617, tags: [["d", "x"], ["clone", "git://a/b.git"]])).isEmpty)
    }

    @Test("Identifier validation", arguments: [
        ("repo", true), ("grasp-sync", true), ("a:b", true), ("a.b", true), ("...", true), (".hidden", true),
        ("日本", true), ("with space", true),
        ("", false), (".", false), ("..", false), ("a/b", false), ("/", false), ("a\\b", false), ("a\u{0}b", false), ("../x", false),
    ])
    func identifiers(_ d: String, _ valid: Bool) {
        #expect(NIP34.isValidIdentifier(d) == valid)
    }
}

private let pk = Fixtures.publicKeyHex

@Suite("RepoRef")
struct RepoRefTests {
    static let pk = Fixtures.publicKeyHex

    @Test("Parses kind, pubkey and identifier", arguments: [
        ("30617:\(pk):repo", 30617, "repo"),
        ("30617:\(pk):grasp:sync", 30617, "grasp:sync"),
        ("30617:\(pk):a:b:c:", 30617, "a:b:c:"),
        ("30617:\(pk):", 30617, ""),
        ("30618:\(pk):repo", 30618, "repo"),
        ("0:\(pk):x", 0, "x"),
    ])
    func parse(_ text: String, _ kind: Int, _ identifier: String) throws {
        let ref = try #require(RepoRef(text))
        #expect(ref.kind == kind)
        #expect(ref.pubkey == Self.pk)
        #expect(ref.identifier == identifier)
        #expect(ref.description == text)
        #expect(RepoRef(ref.description) == ref)
    }

    @Test("Refuses malformed references", arguments: [
        "", "30617", "30617:\(pk)", "repo:\(pk):x", "-1:\(pk):x", ":\(pk):x", "30617:\(pk.uppercased()):x",
        "30617:\(pk.dropLast()):x", "30617::x", "30617:npub1abc:x", ":::", "30617 :\(pk):x",
    ])
    func invalid(_ text: String) {
        #expect(RepoRef(text) == nil)
    }

    @Test("Defaults to a repository announcement")
    func defaultKind() {
        let ref = RepoRef(pubkey: Self.pk, identifier: "r")
        #expect(ref.kind == 30617)
        #expect(ref.description == "30617:\(Self.pk):r")
    }

    @Test("From an addressable event; nil for other classes")
    func fromEvent() throws {
        let ref = try #require(RepoRef(event: NIP34Fixtures.announcement))
        #expect(ref == RepoRef(pubkey: Self.pk, identifier: "grasp:sync"))
        #expect(ref.description == NIP34Fixtures.announcement.address)
        #expect(RepoRef(event: Fixtures.event(kind: 30618, tags: [])) == RepoRef(kind: 30618, pubkey: Fixtures.hex64("1"), identifier: ""))
        #expect(RepoRef(event: Fixtures.event(kind: 1, tags: [["d", "x"]])) == nil)
        #expect(RepoRef(event: Fixtures.event(kind: 10317, tags: [["d", "x"]])) == nil)
        #expect(RepoRef(event: Fixtures.event(kind: 20000, tags: [["d", "x"]])) == nil)
    }

    @Test("Orders by text form and hashes by value")
    func ordering() {
        let a = RepoRef(pubkey: Self.pk, identifier: "a")
        let b = RepoRef(pubkey: Self.pk, identifier: "b")
        let state = RepoRef(kind: 30618, pubkey: Self.pk, identifier: "a")
        #expect([b, state, a].sorted() == [a, b, state])
        #expect(Set([a, RepoRef("30617:\(Self.pk):a")!, b]).count == 2)
    }
}
