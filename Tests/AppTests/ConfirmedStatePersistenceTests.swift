import App
import Foundation
import Layers
import Nostr
import Store
import Testing

/// The confirmed sync state persists as the store's relay item rows, written as it changes
/// (decisions: Restart is a quick reconnect); the small state stays one metadata value.
@Suite struct ConfirmedStatePersistenceTests {
    static let peer = RelayURL("ws://peer.test")!

    /// The store's relay item rows as confirmed needs per relay URL.
    static func rows(_ store: SQLiteEventStore) throws -> [String: [String: Int]] {
        var out: [String: [String: Int]] = [:]
        try store.forEachRelayItem { relay, item in
            out[relay, default: [:]] = out[relay] ?? [:]
            if let item { out[relay]![item.value] = item.level }
        }
        return out
    }

    /// The rows a relay's confirmed needs should have: root events at 0, repos at their level.
    static func expectedRows(_ needs: RelaySyncNeeds) -> [String: Int] {
        var out: [String: Int] = [:]
        for (ref, level) in needs.repos { out[ref.description] = level.rawValue }
        for id in needs.rootEvents { out[id] = 0 }
        return out
    }

    static func savedState(_ store: SQLiteEventStore) throws -> [String: Any] {
        let text = try #require(try store.metadata("sync.state.v1"))
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("after a sync the rows hold the confirmed state and the metadata value does not; a restart reads them back")
    func syncedStateIsRows() async throws {
        let s = try SyncScenario(bootstrap: [Self.peer])
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        let issue = s.issue(for: repo)
        s.publish([repo, issue, s.comment(on: issue)], on: Self.peer)
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        let confirmed = await s.coordinator.confirmedNeeds(Self.peer)
        #expect(confirmed.rootEvents.contains(issue.id))
        await s.coordinator.stop()
        #expect(try Self.rows(s.store)[Self.peer.description] == Self.expectedRows(confirmed))
        let saved = try Self.savedState(s.store)
        #expect(saved["confirmed"] == nil && saved["version"] as? Int == 2)
        #expect((saved["lastSeen"] as? [String: Any])?[Self.peer.description] != nil)
        await s.restart()
        #expect(await s.coordinator.confirmedNeeds(Self.peer) == confirmed)
    }

    @Test("a version-1 state (the confirmed index inside the metadata value) is read, then written as rows")
    func versionOneStateMovesToRows() async throws {
        let s = try SyncScenario()
        let pubkey = SyncScenario.owner.publicKey
        let root = String(repeating: "ab", count: 32)
        let v1 = """
            {"version":1,"savedAt":1800000000,"lastSeen":{"\(Self.peer)":1799999990},"negentropy":{},
             "confirmed":{"relays":[{"relay":"\(Self.peer)","needs":{"repos":[{"ref":"30617:\(pubkey):repo","level":2}],
             "rootEvents":["\(root)"]}}]}}
            """
        try s.store.setMetadata("sync.state.v1", v1)
        await s.start()
        let expected = RelaySyncNeeds(repos: [RepoRef("30617:\(pubkey):repo")!: .full], rootEvents: [root])
        #expect(await s.coordinator.confirmedNeeds(Self.peer) == expected)
        await s.coordinator.stop()
        #expect(try Self.rows(s.store) == [Self.peer.description: Self.expectedRows(expected)])
        #expect(try Self.savedState(s.store)["confirmed"] == nil)
        await s.restart()
        #expect(await s.coordinator.confirmedNeeds(Self.peer) == expected)
    }

    @Test("rows left without a saved state are dropped at the first write")
    func strayRowsAreDropped() async throws {
        let s = try SyncScenario()
        try s.store.writeRelayItems([.add(relay: Self.peer.description, items: [RelayItem(value: "stray", level: 0)])], metadata: [:])
        await s.start()
        #expect(await s.coordinator.confirmedNeeds(Self.peer).isEmpty)
        await s.coordinator.stop()
        #expect(try Self.rows(s.store).isEmpty)
    }
}
