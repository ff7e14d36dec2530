import Foundation

/// Times for people: ISO-8601 instants and short relative durations ("in 4m 12s",
/// "3h 5m ago"), used by the status page, the `status` table and the logs.
public enum DurationText {
    /// `seconds` (non-negative) as the two largest units: "42s", "4m 12s", "3h 5m", "2d 4h".
    public static func short(_ seconds: Double) -> String {
        let total = Int(max(0, seconds).rounded())
        let d = total / 86_400, h = total % 86_400 / 3_600, m = total % 3_600 / 60, s = total % 60
        if d > 0 { return h > 0 ? "\(d)d \(h)h" : "\(d)d" }
        if h > 0 { return m > 0 ? "\(h)h \(m)m" : "\(h)h" }
        if m > 0 { return s > 0 ? "\(m)m \(s)s" : "\(m)m" }
        return "\(s)s"
    }

    /// The instant `at` relative to `now`: "in 4m 12s", "3h 5m ago" or "now".
    public static func relative(_ at: Double, now: Double) -> String {
        let delta = at - now
        if abs(delta) < 0.5 { return "now" }
        return delta > 0 ? "in \(short(delta))" : "\(short(-delta)) ago"
    }

    /// A deadline relative to `now`: "in 4m 12s" while ahead, "now" once reached (a due retry
    /// announced by a snapshot up to a tick old is not "1s ago").
    public static func due(_ at: Double, now: Double) -> String {
        at > now ? relative(at, now: now) : "now"
    }

    /// Unix seconds as ISO-8601 UTC with whole seconds ("2026-12-04T16:38:17Z").
    public static func iso8601(_ unixSeconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: unixSeconds.rounded(.down)))
    }

    /// "2026-12-04T16:38:17Z (in 4m 12s)".
    public static func instant(_ at: Double, now: Double) -> String {
        "\(iso8601(at)) (\(relative(at, now: now)))"
    }
}
