import Layers
import Nostr
import Testing

/// The per-announcement and per-author relay caps, alone and through the desired index.
@Suite struct AnnouncementRelaySelectionTests {
    typealias F = LayersFixtures

    static func relays(_ n: Int, host: String = "r") -> [String] { (0..<n).map { "wss://\(host)\($0).example.com" } }

    @Test func oneAnnouncementListingFortyRelaysGivesTen() {
        let candidates = Self.relays(40).map(F.url)
        let taken = AnnouncementRelaySelection.select(candidates, ownURLs: [], authorRelaysElsewhere: [], limits: AnnouncementRelayLimits())
        #expect(taken == Array(candidates.prefix(10)))
    }

    @Test func relaysTagComesBeforeCloneDerivedRelays() {
        let event = F.announcement(d: "x", relays: Self.relays(9), clone: ["https://git.clone1.example.com/x.git", "https://git.clone2.example.com/x.git"])
        var index = RepoSyncIndex()
        index.apply(announcement: event, ownURLs: [])
        let entry = index.repos[F.ref(of: event)]
        #expect(entry?.relays.count == 10)
        #expect(entry?.relays.isSuperset(of: Set(Self.relays(9).map(F.url))) == true)
    }

    @Test func ownURLsAndRepeatsDoNotUseTheShare() {
        let candidates = [F.own, F.url("wss://a.example.com"), F.url("wss://a.example.com"), F.url("wss://b.example.com")]
        let taken = AnnouncementRelaySelection.select(candidates, ownURLs: [F.own], authorRelaysElsewhere: [],
                                                      limits: AnnouncementRelayLimits(maxPerAnnouncement: 2, maxPerAuthor: 10))
        #expect(taken == [F.url("wss://a.example.com"), F.url("wss://b.example.com")])
    }

    @Test func authorShareCountsDistinctRelaysAcrossAnnouncements() {
        let limits = AnnouncementRelayLimits(maxPerAnnouncement: 10, maxPerAuthor: 12)
        let elsewhere = Set(Self.relays(10).map(F.url))
        // Relays the author already uses are free; only two new ones fit.
        let candidates = Self.relays(3).map(F.url) + Self.relays(5, host: "new").map(F.url)
        let taken = AnnouncementRelaySelection.select(candidates, ownURLs: [], authorRelaysElsewhere: elsewhere, limits: limits)
        #expect(taken == Self.relays(3).map(F.url) + Self.relays(2, host: "new").map(F.url))
    }

    @Test func indexCapsEveryAuthorAcrossRepositories() {
        var index = RepoSyncIndex(relayLimits: AnnouncementRelayLimits(maxPerAnnouncement: 10, maxPerAuthor: 20))
        for n in 0..<5 {
            index.apply(announcement: F.announcement(F.alice, d: "junk\(n)", relays: Self.relays(10, host: "junk\(n)-")), ownURLs: [])
        }
        let aliceRelays = index.repos.values.reduce(into: Set<RelayURL>()) { $0.formUnion($1.relays) }
        #expect(aliceRelays.count == 20)
        // Another author is not affected by Alice's share.
        let bobs = F.announcement(F.bob, d: "real", relays: ["wss://real.example.com"])
        index.apply(announcement: bobs, ownURLs: [])
        #expect(index.repos[F.ref(of: bobs)]?.relays == [F.url("wss://real.example.com")])
    }
}
