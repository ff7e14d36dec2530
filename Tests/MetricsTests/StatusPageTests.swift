import Foundation
import Health
import Nostr
import Testing
@testable import SyncMetrics

/// The HTML status page and the `status` table: relay-supplied text is escaped, every relay
/// gets a row, times are relative.
struct StatusPageTests {
    static let hostileURL = RelayURL("wss://evil.example.com/\"><script>alert(1)</script><img src=x onerror=alert(2)>")!
    static let hostileError = "</td></tr></table><script>document.title='pwned'</script>\u{1B}[31m&amp;"

    static func document() -> RelayStatusDocument {
        var relays = [
            RelayMetricsSnapshot(url: hostileURL, connectionStatus: .disconnected, health: .degraded, consecutiveFailures: 3,
                                 nextRetryAt: 1_700_000_300, lastError: hostileError),
            RelayMetricsSnapshot(url: RelayURL("wss://good.example.com")!, connectionStatus: .connected, health: .healthy,
                                 confirmedRepos: 4, confirmedRootEvents: 9),
        ]
        relays[1].syncMode = .nip77
        let node = RelayStatusNode(version: "1.2.3", startedAt: 1_699_996_400, now: 1_700_000_000,
                                   eventsByKind: [(30617, 4), (1621, 9)])
        return RelayStatusDocument(snapshot: SyncMetricsSnapshot(relays: relays), generatedAt: 1_700_000_000, node: node)
    }

    @Test func escapesRelaySuppliedText() {
        let html = StatusPage.html(Self.document(), now: 1_700_000_000)
        #expect(!html.contains("<script>"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("\u{1B}"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;script&gt;document.title=&#39;pwned&#39;"))
        #expect(html.contains("&amp;amp;"))
        #expect(html.components(separatedBy: "<tr class=\"relay\"").count - 1 == 2)
    }

    @Test("a retry that is already due reads now, on the page and in the table, not seconds ago")
    func dueRetryReadsNow() {
        // The tick's snapshot is up to a second older than the attempt it announces.
        let later: Double = 1_700_000_301
        let html = StatusPage.html(Self.document(), now: later)
        let row = html.components(separatedBy: "<tr class=\"relay\"").first { $0.contains("evil.example.com") } ?? ""
        #expect(!row.contains(" ago"), "\(row)")
        #expect(row.contains("<td>now</td>"))
        let table = Self.document().textTable(now: later)
        #expect(!table.contains(" ago"), "\(table)")
    }

    @Test func showsNodeKindsModesAndRelativeRetry() {
        let html = StatusPage.html(Self.document(), now: 1_700_000_000)
        #expect(html.contains("version 1.2.3"))
        #expect(html.contains("up 1h"))
        #expect(html.contains("<span id=\"stored-events\">13</span>"))
        #expect(html.contains("<td class=\"n\">30617</td><td>repository announcement</td><td class=\"n\">4</td>"))
        #expect(html.contains(">in 5m<"))
        #expect(html.contains("<td>NIP-77</td>"))
        #expect(html.contains("<td>not known yet</td>"))
        #expect(html.contains("http-equiv=\"refresh\""))
    }

    @Test func textTableStripsControlCharacters() {
        let table = Self.document().textTable(now: 1_700_000_000)
        #expect(!table.contains("\u{1B}"))
        #expect(table.contains("in 5m"))
        #expect(table.contains("NIP-77"))
        #expect(table.contains("stored events: 13"))
        #expect(table.split(separator: "\n").contains { $0.hasPrefix("wss://good.example.com") && $0.contains("Connected") })
    }

    @Test func durations() {
        #expect(DurationText.short(0) == "0s")
        #expect(DurationText.short(252) == "4m 12s")
        #expect(DurationText.short(3 * 3600 + 5 * 60 + 7) == "3h 5m")
        #expect(DurationText.short(2 * 86400 + 4 * 3600) == "2d 4h")
        #expect(DurationText.relative(1_000, now: 1_060) == "1m ago")
        #expect(DurationText.relative(1_060, now: 1_000) == "in 1m")
        #expect(DurationText.iso8601(1_796_393_878) == "2026-12-04T14:17:58Z")
    }
}

/// One log line per relay health change, with the reason and readable times.
struct RelayHealthChangeLogTests {
    @Test func linesForChangedRelaysOnly() {
        let a = RelayURL("wss://a.example.com")!
        let b = RelayURL("wss://b.example.com")!
        let old = SyncMetricsSnapshot(relays: [
            RelayMetricsSnapshot(url: a, connectionStatus: .connected, health: .healthy),
            RelayMetricsSnapshot(url: b, connectionStatus: .connected, health: .degraded, consecutiveFailures: 1),
        ])
        let new = SyncMetricsSnapshot(relays: [
            RelayMetricsSnapshot(url: a, connectionStatus: .disconnected, health: .degraded, consecutiveFailures: 2,
                                 nextRetryAt: 1_796_393_888, lastError: "connection refused"),
            RelayMetricsSnapshot(url: b, connectionStatus: .connected, health: .degraded, consecutiveFailures: 1),
        ])
        let lines = RelayHealthChangeLog.lines(from: old, to: new, now: 1_796_393_878)
        #expect(lines == ["relay wss://a.example.com health: healthy -> degraded (2 consecutive failures; next attempt at 2026-12-04T14:18:08Z (in 10s); last error: connection refused)"])
        let back = RelayHealthChangeLog.lines(from: new, to: old, now: 1_796_393_878)
        #expect(back == ["relay wss://a.example.com health: degraded -> healthy (connected)"])
    }
}
