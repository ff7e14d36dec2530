import Foundation
import Nostr
import Testing
import Transport

/// Time for the throttle, moved by hand.
final class DialClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 1_000.0
    var now: Double { lock.withLock { value } }
    func advance(_ seconds: Double) { lock.withLock { value += seconds } }
}

/// One host is dialled at most `maxPerMinute` times a minute, however many URLs point at it.
@Suite struct HostDialThrottleTests {
    @Test func manyURLsOfOneHostShareOneBudget() async {
        let clock = DialClock()
        let throttle = HostDialThrottle(maxPerMinute: 4, now: { clock.now })
        // Default SSRF policy: 10.0.0.1 is refused after the throttle admitted the dial, so
        // no connection is made; the fifth URL of the same host is refused before that.
        let transport = WebSocketRelayTransport(dialThrottle: throttle)
        var errors: [TransportError] = []
        for path in ["a", "b", "c", "d", "e"] {
            do throws(TransportError) {
                _ = try await transport.connect(to: RelayURL("ws://10.0.0.1:\(7000 + path.count)/\(path)")!)
            } catch {
                errors.append(error)
            }
        }
        #expect(errors.prefix(4).allSatisfy { if case .addressNotAllowed = $0 { true } else { false } })
        guard case .dialThrottled? = errors.last else {
            Issue.record("expected the fifth dial to be throttled, got \(String(describing: errors.last))")
            return
        }
        // Another host has its own budget; a minute later the first host may be dialled again.
        #expect(throws: Never.self) { try throttle.admit("other.example.com") }
        #expect(throws: TransportError.self) { try throttle.admit("10.0.0.1") }
        clock.advance(60)
        #expect(throws: Never.self) { try throttle.admit("10.0.0.1") }
    }
}
