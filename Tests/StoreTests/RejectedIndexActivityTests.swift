import Foundation
import Nostr
import Store
import Testing

/// The observer of ``RejectedEventsIndex``: what feeds the `ngit_sync_rejected_*_total`
/// counters.
@Suite("RejectedEventsIndex: activity reports")
struct RejectedIndexActivityTests {
    let now = Double(t0)

    /// Collects what an index reports.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var reported: [RejectedIndexActivity] = []
        func record(_ activity: RejectedIndexActivity) { lock.withLock { reported.append(activity) } }
        /// Everything reported since the last call.
        func take() -> [RejectedIndexActivity] { lock.withLock { defer { reported = [] }; return reported } }
    }

    @Test func invalidationReportsHitsAndInvalidatedColdEntriesPerType() {
        let recorder = Recorder()
        let index = RejectedEventsIndex(observer: recorder.record)
        index.add(repoState(Keys.maintainer, createdAt: t0 - 2), reason: .maintainerNotYetValid, now: now)
        index.add(repoState(Keys.maintainer, d: "repo", createdAt: t0 - 1, commit: String(repeating: "b", count: 40)),
                  reason: .maintainerNotYetValid, now: now)
        index.add(unlistedAnnouncement(Keys.maintainer), reason: .doesNotListService, now: now)
        #expect(recorder.take().isEmpty)  // Adding is counted by the size gauges only.

        _ = index.invalidate(pubkey: Keys.maintainer.publicKey, identifier: "repo", type: .state, now: now + 1)
        // Both states are handed out (one hit each); the announcement is not covered.
        #expect(recorder.take() == [.hotCacheHits(.state, count: 2), .invalidated(.state, count: 2)])
        #expect(index.counts().hot == [.announcement: 1])
    }

    @Test func anInvalidationWithoutFreshHotEventsIsAMissPerCoveredType() {
        let recorder = Recorder()
        let index = RejectedEventsIndex(hotTTL: 120, coldTTL: 600, observer: recorder.record)
        // Nothing indexed: a miss of the one type asked for, nothing invalidated.
        _ = index.invalidate(pubkey: Keys.owner.publicKey, identifier: "repo", type: .announcement, now: now)
        #expect(recorder.take() == [.hotCacheMiss(.announcement)])

        // Hot entry stale, cold entry still there: a miss, and the cold entry invalidated.
        index.add(unlistedAnnouncement(Keys.owner), reason: .doesNotListService, now: now)
        _ = index.invalidate(pubkey: Keys.owner.publicKey, identifier: "repo", type: nil, now: now + 120)
        #expect(recorder.take() == [.hotCacheMiss(.announcement), .invalidated(.announcement, count: 1), .hotCacheMiss(.state)])
    }

    @Test func cleanupReportsExpiriesPerTierAndType() {
        let recorder = Recorder()
        let index = RejectedEventsIndex(hotTTL: 120, coldTTL: 600, observer: recorder.record)
        index.add(unlistedAnnouncement(Keys.maintainer), reason: .doesNotListService, now: now)
        index.add(unlistedAnnouncement(Keys.second), reason: .doesNotListService, now: now)
        index.add(repoState(Keys.outsider), reason: .maintainerNotYetValid, now: now + 100)
        index.cleanup(now: now + 119)
        #expect(recorder.take().isEmpty)
        index.cleanup(now: now + 120)
        #expect(recorder.take() == [.hotCacheExpired(.announcement, count: 2)])
        index.cleanup(now: now + 700)
        #expect(recorder.take() == [
            .coldIndexExpired(.announcement, count: 2), .hotCacheExpired(.state, count: 1), .coldIndexExpired(.state, count: 1),
        ])
    }

    @Test func restoreReportsEntriesThatExpiredDuringDowntime() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rejected-activity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("rejected.json")
        let saved = RejectedEventsIndex(hotTTL: 120, coldTTL: 600)
        saved.add(repoState(Keys.outsider), reason: .maintainerNotYetValid, now: now)
        try saved.save(to: file, now: now)

        let recorder = Recorder()
        let restored = RejectedEventsIndex(hotTTL: 120, coldTTL: 600, observer: recorder.record)
        #expect(try restored.restore(from: file, now: now + 300))
        #expect(recorder.take() == [.hotCacheExpired(.state, count: 1)])
        #expect(restored.sizes == (hot: 0, cold: 1))
    }
}
