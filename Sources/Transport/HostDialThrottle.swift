import Foundation

/// Bounds how often one host is dialled, whatever the number of relay URLs pointing at it
/// (`wss://host/a`, `wss://host/b`, other ports...): announcements could otherwise make the
/// node hammer one victim host through many URLs. Shared by every connection of a transport.
public final class HostDialThrottle: @unchecked Sendable {
    /// Dials allowed per host within any 60 s.
    public let maxPerMinute: Int
    private let now: @Sendable () -> Double
    private let lock = NSLock()
    private var recent: [String: [Double]] = [:]

    /// `now` is in seconds (tests inject a manual clock).
    public init(maxPerMinute: Int, now: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.maxPerMinute = maxPerMinute
        self.now = now
    }

    /// Records a dial of `host`, or throws `.dialThrottled` when it already had
    /// `maxPerMinute` dials in the last 60 s (nothing is recorded then).
    public func admit(_ host: String) throws(TransportError) {
        let key = host.lowercased()
        let t = now()
        let refused: Bool = lock.withLock {
            var times = recent[key, default: []].filter { t - $0 < 60 }
            if times.count >= maxPerMinute {
                recent[key] = times
                return true
            }
            times.append(t)
            recent[key] = times
            // Forget hosts with no dial in the last minute (bounded memory).
            if recent.count > 4_096 { recent = recent.filter { !$0.value.allSatisfy { t - $0 >= 60 } } }
            return false
        }
        if refused { throw .dialThrottled("\(host) was already dialled \(maxPerMinute) times in the last minute") }
    }
}
