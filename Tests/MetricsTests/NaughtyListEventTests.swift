import Health
import Nostr
import SyncMetrics
import Testing

/// `NodeEvent.naughtyListChanged` moves the naughty-list gauges between snapshots, and the
/// snapshots and the events edit one list.
@Suite("Naughty-list events")
struct NaughtyListEventTests {
    typealias F = MetricsFixtures

    /// The entry `list` holds for `url` after recording a failure, as the tracker reports it.
    static func entry(_ url: String, _ category: MisconfigurationCategory, _ reason: String,
                      into list: inout NaughtyList, at now: Double) throws -> NaughtyListEntry {
        list.record(url, category: category, reason: reason, at: now)
        return try #require(list.entry(for: url, at: now))
    }

    @Test func listingSetsTheCategoryCountAndTheInfoSeries() throws {
        let metrics = try F.makeMetrics()
        var list = NaughtyList()
        metrics.record(.naughtyListChanged(.listed(try Self.entry("wss://Alpha.example.com/", .protocolError, "handshake 404", into: &list, at: 10))))
        metrics.record(.naughtyListChanged(.listed(try Self.entry(F.beta.description, .dnsLookupFailed, "no such host", into: &list, at: 11))))
        let parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_naughty_relays_total", ["category": "protocol_error"]) == 1)
        #expect(parsed.value("ngit_sync_naughty_relays_total", ["category": "dns_lookup_failed"]) == 1)
        #expect(parsed.value("ngit_sync_naughty_relays_total", ["category": "tls_certificate_invalid"]) == 0)
        #expect(parsed.samples(named: "ngit_sync_naughty_relay_info").sorted { $0.labels["relay"]! < $1.labels["relay"]! } == [
            ExpositionSample(name: "ngit_sync_naughty_relay_info",
                             labels: ["relay": "wss://alpha.example.com", "category": "protocol_error", "reason": "handshake 404"], value: 1),
            ExpositionSample(name: "ngit_sync_naughty_relay_info",
                             labels: ["relay": "wss://beta.example.com", "category": "dns_lookup_failed", "reason": "no such host"], value: 1),
        ].sorted { $0.labels["relay"]! < $1.labels["relay"]! })
    }

    @Test func anUpdatedEntryReplacesItsInfoSeriesAndCountsOnce() throws {
        let metrics = try F.makeMetrics()
        var list = NaughtyList()
        let url = F.alpha.description
        metrics.record(.naughtyListChanged(.listed(try Self.entry(url, .tlsCertificateInvalid, "expired", into: &list, at: 10))))
        metrics.record(.naughtyListChanged(.listed(try Self.entry(url, .tlsCertificateInvalid, "self-signed", into: &list, at: 20))))
        let parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_naughty_relays_total", ["category": "tls_certificate_invalid"]) == 1)
        #expect(parsed.samples(named: "ngit_sync_naughty_relay_info").sorted { $0.labels["relay"]! < $1.labels["relay"]! } == [
            ExpositionSample(name: "ngit_sync_naughty_relay_info",
                             labels: ["relay": url, "category": "tls_certificate_invalid", "reason": "self-signed"], value: 2),
        ])
    }

    @Test func removalDropsTheRelayAtOnce() throws {
        let metrics = try F.makeMetrics()
        var list = NaughtyList()
        metrics.record(.naughtyListChanged(.listed(try Self.entry(F.alpha.description, .protocolError, "bad frame", into: &list, at: 10))))
        metrics.record(.naughtyListChanged(.listed(try Self.entry(F.gamma.description, .protocolError, "bad frame", into: &list, at: 10))))
        // The tracker keys relays by their normalised URL; a spelling variant still matches.
        metrics.record(.naughtyListChanged(.removed(url: "wss://ALPHA.example.com:443/")))
        metrics.record(.naughtyListChanged(.removed(url: "wss://never-listed.example.com")))
        let parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_naughty_relays_total", ["category": "protocol_error"]) == 1)
        #expect(parsed.labelValues("ngit_sync_naughty_relay_info", "relay") == [F.gamma.description])
    }

    @Test func aSnapshotRestatesTheListAndLaterEventsEditIt() throws {
        let metrics = try F.makeMetrics()
        var list = NaughtyList()
        metrics.record(.naughtyListChanged(.listed(try Self.entry(F.alpha.description, .protocolError, "bad frame", into: &list, at: 10))))
        // The tick's snapshot is the truth: alpha is gone, beta is listed.
        metrics.record(.snapshot(SyncMetricsSnapshot(naughtyRelays: [
            NaughtyRelayMetric(relay: F.beta, category: .dnsLookupFailed, reason: "no such host", count: 3),
        ])))
        var parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_naughty_relays_total", ["category": "protocol_error"]) == 0)
        #expect(parsed.labelValues("ngit_sync_naughty_relay_info", "relay") == [F.beta.description])
        metrics.record(.naughtyListChanged(.listed(try Self.entry(F.gamma.description, .protocolError, "bad frame", into: &list, at: 12))))
        metrics.record(.naughtyListChanged(.removed(url: F.beta.description)))
        parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_naughty_relays_total", ["category": "dns_lookup_failed"]) == 0)
        #expect(parsed.value("ngit_sync_naughty_relays_total", ["category": "protocol_error"]) == 1)
        #expect(parsed.labelValues("ngit_sync_naughty_relay_info", "relay") == [F.gamma.description])
    }

    @Test func theTrackersChangesThroughAStreamEndAsTheListIs() async throws {
        let metrics = try F.makeMetrics()
        let (events, continuation) = AsyncStream.makeStream(of: NodeEvent.self)
        let tracker = RelayHealthTracker(now: { 1_700_000_000 }, onNaughtyListChange: { continuation.yield(.naughtyListChanged($0)) })
        let alpha = F.alpha.description, beta = F.beta.description
        await tracker.recordFailure(alpha, kind: .protocolError, message: "websocket handshake failed: 404")
        await tracker.recordFailure(alpha, kind: .protocolError, message: "websocket handshake failed: 403")
        await tracker.recordFailure(beta, kind: .dns, message: "DNS failure: no such host")
        await tracker.recordFailure(beta, kind: .refused, message: "connection refused")  // Transient: no change.
        await tracker.recordSuccess(beta)
        continuation.finish()
        await metrics.run(events: events)
        let parsed = try metrics.parsed()
        #expect(parsed.value("ngit_sync_naughty_relays_total", ["category": "protocol_error"]) == 1)
        #expect(parsed.value("ngit_sync_naughty_relays_total", ["category": "dns_lookup_failed"]) == 0)
        #expect(parsed.samples(named: "ngit_sync_naughty_relay_info").sorted { $0.labels["relay"]! < $1.labels["relay"]! } == [
            ExpositionSample(name: "ngit_sync_naughty_relay_info",
                             labels: ["relay": alpha, "category": "protocol_error", "reason": "websocket handshake failed: 403"], value: 2),
        ])
    }
}
