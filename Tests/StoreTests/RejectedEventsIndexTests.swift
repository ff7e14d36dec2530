import Foundation
import Nostr
import Store
import Testing

/// The rejected-events index and the reference's unit checks for it, in virtual time (decisions:
/// Rejected-events index, Ported reference checks).
@Suite("RejectedEventsIndex: tiers, invalidation, expiry")
struct RejectedEventsIndexTests {
    let now = Double(t0)

    @Test func addPutsEventInBothTiers() {
        let index = RejectedEventsIndex()
        let a = unlistedAnnouncement(Keys.maintainer)
        index.add(a, reason: .doesNotListService, now: now)
        #expect(index.sizes == (hot: 1, cold: 1))
        #expect(index.counts().hot == [.announcement: 1])
        #expect(index.counts().cold == [.announcement: 1])
        #expect(index.contains(a.id, now: now))
        #expect(index.contains(unknownID, now: now) == false)
        #expect(index.allIDs() == [a.id])
        // Re-adding overwrites rather than duplicating.
        index.add(a, reason: .other, now: now + 5)
        #expect(index.sizes == (hot: 1, cold: 1))
    }

    @Test func onlyAnnouncementsAndStatesAreIndexed() {
        let index = RejectedEventsIndex()
        index.add(Keys.owner.sign(kind: 1621, createdAt: t0), reason: .other, now: now)
        index.add(Keys.owner.sign(kind: 30023, tags: [["d", "repo"]], createdAt: t0), reason: .other, now: now)
        #expect(index.sizes == (hot: 0, cold: 0))
        #expect(RejectedEventType(kind: 30617) == .announcement)
        #expect(RejectedEventType(kind: 30618) == .state)
        #expect(RejectedEventType(kind: 1) == nil)
        #expect(RejectedEventType.state.metricLabel == "state")
    }

    @Test func invalidateRemovesAndReturnsFreshHotEvents() {
        let index = RejectedEventsIndex()
        let old = unlistedAnnouncement(Keys.maintainer, createdAt: t0 - 100)
        let newer = repoState(Keys.maintainer, createdAt: t0 - 50)
        let otherRepo = unlistedAnnouncement(Keys.maintainer, d: "other")
        let otherAuthor = unlistedAnnouncement(Keys.outsider)
        index.add(newer, reason: .maintainerNotYetValid, now: now)
        index.add(old, reason: .doesNotListService, now: now)
        index.add(otherRepo, reason: .doesNotListService, now: now)
        index.add(otherAuthor, reason: .doesNotListService, now: now)

        let fresh = index.invalidate(pubkey: Keys.maintainer.publicKey, identifier: "repo", type: nil, now: now + 10)
        #expect(fresh == [old, newer]) // oldest first
        #expect(index.contains(old.id, now: now + 10) == false)
        #expect(index.contains(newer.id, now: now + 10) == false)
        #expect(index.contains(otherRepo.id, now: now + 10))
        #expect(index.contains(otherAuthor.id, now: now + 10))
        #expect(index.sizes == (hot: 2, cold: 2))
        // Nothing left to invalidate.
        #expect(index.invalidate(pubkey: Keys.maintainer.publicKey, identifier: "repo", type: nil, now: now + 10).isEmpty)
    }

    @Test func invalidateRespectsTypeFilter() {
        let index = RejectedEventsIndex()
        let a = unlistedAnnouncement(Keys.maintainer)
        let s = repoState(Keys.maintainer)
        index.add(a, reason: .doesNotListService, now: now)
        index.add(s, reason: .maintainerNotYetValid, now: now)

        #expect(index.invalidate(pubkey: Keys.maintainer.publicKey, identifier: "repo", type: .state, now: now) == [s])
        #expect(index.contains(s.id, now: now) == false)
        #expect(index.contains(a.id, now: now))
        #expect(index.counts().hot == [.announcement: 1])
        #expect(index.counts().cold == [.announcement: 1])

        #expect(index.invalidate(pubkey: Keys.maintainer.publicKey, identifier: "repo", type: .state, now: now).isEmpty)
        #expect(index.invalidate(pubkey: Keys.maintainer.publicKey, identifier: "repo", type: .announcement, now: now) == [a])
        #expect(index.sizes == (hot: 0, cold: 0))
    }

    @Test func expiredHotEntriesAreNotReturned() {
        let index = RejectedEventsIndex(hotTTL: 120, coldTTL: 600)
        let a = unlistedAnnouncement(Keys.maintainer)
        let b = unlistedAnnouncement(Keys.second)
        index.add(a, reason: .doesNotListService, now: now)
        index.add(b, reason: .doesNotListService, now: now)
        #expect(index.invalidate(pubkey: Keys.second.publicKey, identifier: "repo", type: nil, now: now + 119) == [b])
        // At exactly the TTL the hot entry is stale: nothing to re-process, but the cold entry is cleared.
        #expect(index.contains(a.id, now: now + 120)) // still known through the cold tier
        #expect(index.invalidate(pubkey: Keys.maintainer.publicKey, identifier: "repo", type: nil, now: now + 120).isEmpty)
        #expect(index.contains(a.id, now: now + 120) == false)
        #expect(index.sizes == (hot: 0, cold: 0))
    }

    @Test func coldExpiryEndsMembership() {
        let index = RejectedEventsIndex(hotTTL: 120, coldTTL: 600)
        let a = unlistedAnnouncement(Keys.maintainer)
        index.add(a, reason: .doesNotListService, now: now)
        #expect(index.contains(a.id, now: now + 599))
        // Without any cleanup having run, an expired entry is no longer a member.
        #expect(index.contains(a.id, now: now + 600) == false)
        // allIDs still lists expired-but-uncleaned entries, as in the reference.
        #expect(index.allIDs() == [a.id])
    }

    @Test func cleanupDropsExpiredEntriesPerTier() {
        let index = RejectedEventsIndex(hotTTL: 120, coldTTL: 600)
        let a = unlistedAnnouncement(Keys.maintainer)
        let s = repoState(Keys.outsider)
        index.add(a, reason: .doesNotListService, now: now)
        index.add(s, reason: .maintainerNotYetValid, now: now + 100)
        index.cleanup(now: now + 119)
        #expect(index.sizes == (hot: 2, cold: 2))
        index.cleanup(now: now + 120)
        #expect(index.sizes == (hot: 1, cold: 2))
        #expect(index.counts().hot == [.state: 1])
        index.cleanup(now: now + 220)
        #expect(index.sizes == (hot: 0, cold: 2))
        #expect(index.contains(a.id, now: now + 220))
        index.cleanup(now: now + 600)
        #expect(index.sizes == (hot: 0, cold: 1))
        #expect(index.allIDs() == [s.id])
        index.cleanup(now: now + 700)
        #expect(index.sizes == (hot: 0, cold: 0))
    }
}

@Suite("RejectedEventsIndex: persistence")
struct RejectedEventsIndexPersistenceTests {
    let now = Double(t0)

    /// Runs `body` with a file URL in a fresh temporary directory.
    private func withFile(_ body: (URL) throws -> Void) throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try body(dir.appendingPathComponent("rejected-events-cache.json"))
    }

    @Test func roundTripHotAndCold() throws {
        try withFile { (url: URL) throws in
            let original = RejectedEventsIndex()
            let a = unlistedAnnouncement(Keys.maintainer)
            let s = repoState(Keys.outsider)
            original.add(a, reason: .doesNotListService, now: now)
            original.add(s, reason: .maintainerNotYetValid, now: now + 10)
            try original.save(to: url, now: now + 20)
            #expect(FileManager.default.fileExists(atPath: url.path))

            let restored = RejectedEventsIndex()
            #expect(try restored.restore(from: url, now: now + 20))
            #expect(restored.sizes == (hot: 2, cold: 2))
            #expect(restored.counts().hot == [.announcement: 1, .state: 1])
            #expect(restored.allIDs() == [a.id, s.id])
            // Full events, with their signatures, come back for re-processing.
            let back = restored.invalidate(pubkey: Keys.maintainer.publicKey, identifier: "repo", type: .announcement, now: now + 20)
            #expect(back == [a])
            #expect(back.first?.isValid == true)
            #expect(restored.invalidate(pubkey: Keys.outsider.publicKey, identifier: "repo", type: .state, now: now + 20) == [s])
        }
    }

    @Test func fileUsesReferenceFormat() throws {
        try withFile { (url: URL) throws in
            let index = RejectedEventsIndex(hotTTL: 120, coldTTL: 604_800)
            let a = unlistedAnnouncement(Keys.maintainer)
            index.add(a, reason: .doesNotListService, now: now)
            try index.save(to: url, now: now + 30)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            #expect(json["version"] as? Int == 1)
            #expect(json["saved_at"] as? Double == now + 30)
            let hot = try #require(json["hot_cache"] as? [String: Any])
            let cold = try #require(json["cold_index"] as? [String: Any])
            #expect(hot["expiry_duration_secs"] as? Double == 120)
            #expect(cold["expiry_duration_secs"] as? Double == 604_800)
            let hotEntry = try #require((hot["entries"] as? [String: Any])?[a.id] as? [String: Any])
            #expect(hotEntry["event_type"] as? String == "Announcement")
            #expect(hotEntry["reason"] as? String == "DoesNotListService")
            #expect(hotEntry["pubkey"] as? String == Keys.maintainer.publicKey)
            #expect(hotEntry["identifier"] as? String == "repo")
            #expect(hotEntry["cached_at_offset_secs"] as? Double == 30)
            let coldEntry = try #require((cold["entries"] as? [String: Any])?[a.id] as? [String: Any])
            #expect(coldEntry["rejected_at_offset_secs"] as? Double == 30)
        }
    }

    @Test func roundTripColdOnly() throws {
        try withFile { (url: URL) throws in
            let original = RejectedEventsIndex(hotTTL: 120, coldTTL: 600)
            let a = unlistedAnnouncement(Keys.maintainer)
            original.add(a, reason: .doesNotListService, now: now)
            original.cleanup(now: now + 200)
            #expect(original.sizes == (hot: 0, cold: 1))
            try original.save(to: url, now: now + 200)

            let restored = RejectedEventsIndex(hotTTL: 120, coldTTL: 600)
            #expect(try restored.restore(from: url, now: now + 200))
            #expect(restored.sizes == (hot: 0, cold: 1))
            #expect(restored.contains(a.id, now: now + 200))
            #expect(restored.contains(a.id, now: now + 600) == false) // the original rejection time is kept
            #expect(restored.invalidate(pubkey: Keys.maintainer.publicKey, identifier: "repo", type: nil, now: now + 200).isEmpty)
        }
    }

    @Test func roundTripEmpty() throws {
        try withFile { (url: URL) throws in
            try RejectedEventsIndex().save(to: url, now: now)
            #expect(FileManager.default.fileExists(atPath: url.path))
            let restored = RejectedEventsIndex()
            #expect(try restored.restore(from: url, now: now))
            #expect(restored.sizes == (hot: 0, cold: 0))
            #expect(restored.allIDs().isEmpty)
        }
    }

    @Test func missingFileIsNotAnError() throws {
        try withFile { (url: URL) throws in
            let index = RejectedEventsIndex()
            #expect(try index.restore(from: url, now: now) == false)
            #expect(index.sizes == (hot: 0, cold: 0))
        }
    }

    @Test("corrupt file throws, leaves the index empty and is removed", arguments: [
        "{ not json",
        "{\"version\": 1}",
        "{\"version\": 2, \"saved_at\": 0, \"hot_cache\": {\"expiry_duration_secs\": 120, \"entries\": {}}, \"cold_index\": {\"expiry_duration_secs\": 1, \"entries\": {}}}",
    ])
    func corruptFile(contents: String) throws {
        try withFile { (url: URL) throws in
            try Data(contents.utf8).write(to: url)
            let index = RejectedEventsIndex()
            do {
                try index.restore(from: url, now: now)
                Issue.record("restore of a corrupt file must throw")
            } catch let error as RejectedIndexPersistenceError {
                guard case .corrupt = error else {
                    Issue.record("expected .corrupt, got \(error)")
                    return
                }
            } catch {
                Issue.record("unexpected error \(error)")
            }
            #expect(index.sizes == (hot: 0, cold: 0))
            #expect(index.allIDs().isEmpty)
            #expect(FileManager.default.fileExists(atPath: url.path) == false)
        }
    }

    @Test func fileIsDeletedAfterRestore() throws {
        try withFile { (url: URL) throws in
            let index = RejectedEventsIndex()
            index.add(unlistedAnnouncement(Keys.maintainer), reason: .doesNotListService, now: now)
            try index.save(to: url, now: now)
            #expect(try RejectedEventsIndex().restore(from: url, now: now + 1))
            #expect(FileManager.default.fileExists(atPath: url.path) == false)
            // A second restore finds nothing.
            let again = RejectedEventsIndex()
            #expect(try again.restore(from: url, now: now + 2) == false)
            #expect(again.sizes == (hot: 0, cold: 0))
        }
    }

    @Test func downtimeCountsAgainstTTL() throws {
        let a = unlistedAnnouncement(Keys.maintainer)
        func restoredAfter(downtime: Double, url: URL) throws -> RejectedEventsIndex {
            let original = RejectedEventsIndex(hotTTL: 120, coldTTL: 600)
            original.add(a, reason: .doesNotListService, now: now)
            try original.save(to: url, now: now + 30) // age 30 at save
            let restored = RejectedEventsIndex(hotTTL: 120, coldTTL: 600)
            try restored.restore(from: url, now: now + 30 + downtime)
            return restored
        }
        try withFile { (url: URL) throws in
            // Age 30 + 60 = 90 < 120: still hot.
            let short = try restoredAfter(downtime: 60, url: url)
            #expect(short.sizes == (hot: 1, cold: 1))
            #expect(short.invalidate(pubkey: Keys.maintainer.publicKey, identifier: "repo", type: nil, now: now + 90) == [a])
        }
        try withFile { (url: URL) throws in
            // Age 30 + 100 = 130 >= 120: hot expired during downtime, cold remains.
            let medium = try restoredAfter(downtime: 100, url: url)
            #expect(medium.sizes == (hot: 0, cold: 1))
            #expect(medium.contains(a.id, now: now + 130))
            // Cold keeps counting from the original rejection: gone at age 600.
            #expect(medium.contains(a.id, now: now + 600) == false)
        }
        try withFile { (url: URL) throws in
            // Age 30 + 580 = 610 >= 600: both tiers expired.
            let long = try restoredAfter(downtime: 580, url: url)
            #expect(long.sizes == (hot: 0, cold: 0))
            #expect(long.contains(a.id, now: now + 610) == false)
        }
        try withFile { (url: URL) throws in
            // A clock that went backwards counts as no downtime: age stays 30.
            let original = RejectedEventsIndex(hotTTL: 120, coldTTL: 600)
            original.add(a, reason: .doesNotListService, now: now)
            try original.save(to: url, now: now + 30)
            let restored = RejectedEventsIndex(hotTTL: 120, coldTTL: 600)
            try restored.restore(from: url, now: now)
            #expect(restored.invalidate(pubkey: Keys.maintainer.publicKey, identifier: "repo", type: nil, now: now + 89) == [a])
        }
    }

    @Test func ttlsComeFromConfigurationNotFile() throws {
        try withFile { (url: URL) throws in
            let original = RejectedEventsIndex(hotTTL: 1_000, coldTTL: 10_000)
            let a = unlistedAnnouncement(Keys.maintainer)
            original.add(a, reason: .doesNotListService, now: now)
            try original.save(to: url, now: now + 200)
            let restored = RejectedEventsIndex(hotTTL: 120, coldTTL: 600)
            try restored.restore(from: url, now: now + 200)
            #expect(restored.sizes == (hot: 0, cold: 1))
        }
    }

    @Test func multipleSaveRestoreCycles() throws {
        try withFile { (url: URL) throws in
            let a = unlistedAnnouncement(Keys.maintainer)
            let s = repoState(Keys.outsider)
            // Cycle 1: a added at t0, saved at t0+10, restored at t0+20 (age 20).
            let first = RejectedEventsIndex(hotTTL: 50, coldTTL: 1_000)
            first.add(a, reason: .doesNotListService, now: now)
            try first.save(to: url, now: now + 10)
            let second = RejectedEventsIndex(hotTTL: 50, coldTTL: 1_000)
            #expect(try second.restore(from: url, now: now + 20))
            // Cycle 2: s added at t0+20, saved at t0+30, restored at t0+40.
            second.add(s, reason: .maintainerNotYetValid, now: now + 20)
            try second.save(to: url, now: now + 30)
            let third = RejectedEventsIndex(hotTTL: 50, coldTTL: 1_000)
            #expect(try third.restore(from: url, now: now + 40))
            #expect(third.sizes == (hot: 2, cold: 2))
            // At t0+60 a is 60 s old (hot expired), s is 40 s old (hot fresh).
            #expect(third.invalidate(pubkey: Keys.maintainer.publicKey, identifier: "repo", type: nil, now: now + 60).isEmpty)
            #expect(third.invalidate(pubkey: Keys.outsider.publicKey, identifier: "repo", type: nil, now: now + 60) == [s])
            // Cycle 3: the emptied index saves and restores as empty.
            try third.save(to: url, now: now + 60)
            let fourth = RejectedEventsIndex(hotTTL: 50, coldTTL: 1_000)
            #expect(try fourth.restore(from: url, now: now + 70))
            #expect(fourth.sizes == (hot: 0, cold: 0))
            #expect(FileManager.default.fileExists(atPath: url.path) == false)
        }
    }

    @Test func saveToUnwritableLocationThrows() {
        let index = RejectedEventsIndex()
        let url = URL(fileURLWithPath: "/nonexistent-dir-\(UUID().uuidString)/cache.json")
        #expect(throws: RejectedIndexPersistenceError.self) { try index.save(to: url, now: Double(t0)) }
    }
}
