import SyncMetrics
import Testing

/// `grasp_deferred_*`: gauges follow the snapshot; counters advance by the growth of the
/// index's cumulative counts.
@Suite("Deferred-events index metrics")
struct DeferredIndexMetricsTests {
    @Test func freshNodeExportsEveryOutcomeAtZero() throws {
        let parsed = try MetricsFixtures.makeMetrics().parsed()
        #expect(parsed.value("grasp_deferred_events") == 0)
        #expect(parsed.value("grasp_deferred_bytes") == 0)
        #expect(parsed.labelValues("grasp_deferred_events_total", "outcome")
            == ["accepted", "added", "evicted_bytes", "evicted_count", "expired", "reprocessed"])
        #expect(parsed.samples(named: "grasp_deferred_events_total").allSatisfy { $0.value == 0 })
    }

    @Test func snapshotsSetGaugesAndAdvanceCounters() throws {
        let metrics = try MetricsFixtures.makeMetrics()
        metrics.apply(SyncMetricsSnapshot(deferredIndex: DeferredIndexFigures(
            events: 3, bytes: 1_200, totals: [.added: 5, .reprocessed: 2, .accepted: 2])))
        metrics.apply(SyncMetricsSnapshot(deferredIndex: DeferredIndexFigures(
            events: 1, bytes: 400, totals: [.added: 7, .reprocessed: 6, .accepted: 5, .expired: 1, .evictedCount: 2])))
        let parsed = try metrics.parsed()
        #expect(parsed.value("grasp_deferred_events") == 1)
        #expect(parsed.value("grasp_deferred_bytes") == 400)
        let expected: [String: Double] = [
            "added": 7, "reprocessed": 6, "accepted": 5, "expired": 1, "evicted_count": 2, "evicted_bytes": 0,
        ]
        for (outcome, value) in expected {
            #expect(parsed.value("grasp_deferred_events_total", ["outcome": outcome]) == value, "\(outcome)")
        }
        // The same cumulative figures again add nothing.
        metrics.apply(SyncMetricsSnapshot(deferredIndex: DeferredIndexFigures(
            events: 1, bytes: 400, totals: [.added: 7, .reprocessed: 6, .accepted: 5, .expired: 1, .evictedCount: 2])))
        #expect(try metrics.parsed().value("grasp_deferred_events_total", ["outcome": "added"]) == 7)
    }
}
