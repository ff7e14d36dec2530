import Foundation
import Nostr
import Relay
import Testing

/// Issue 12, item 3: idle served negentropy sessions expire on a timer, also on a
/// connection that sends nothing after its NEG-OPEN.
@Suite("Served negentropy: idle expiry by timer")
struct NegentropyExpiryTests {
    @Test("an idle session on a quiet connection is closed with NEG-ERR closed: once the idle timeout has passed")
    func idleSessionExpiresOnQuietConnection() async throws {
        let clock = ManualClock(start: Double(Fixtures.now))
        // The expiry check runs every 50 ms of wall time; the idle time itself is the manual clock's.
        try await RelayTestHarness.withRelay(clock: clock, negentropyExpiryInterval: 0.05) { relay in
            let client = try await relay.connect()
            try await client.send(.negOpen(subscriptionID: "quiet", filter: Filter(), initialMessage: NegentropyRelayTests.emptyInitial))
            #expect(try await client.next() == .negMsg(subscriptionID: "quiet", message: "6100000200"))
            clock.advance(by: 301)
            // The client sends nothing more: only the timer can close the session.
            guard case .negErr("quiet", let reason, nil) = try await client.next(deadline: 20) else {
                Issue.record("expected NEG-ERR for the idle session")
                return
            }
            #expect(reason.hasPrefix("closed:"))
            // And it is gone: a late NEG-MSG is refused as unknown.
            try await client.send(.negMsg(subscriptionID: "quiet", message: NegentropyRelayTests.emptyInitial))
            guard case .negErr("quiet", let late, nil) = try await client.next() else {
                Issue.record("expected NEG-ERR for the expired session")
                return
            }
            #expect(late.hasPrefix("closed:"))
            await client.close()
        }
    }

    @Test("a session that keeps working is not expired by the timer")
    func activeSessionSurvivesTicks() async throws {
        let clock = ManualClock(start: Double(Fixtures.now))
        try await RelayTestHarness.withRelay(clock: clock, negentropyExpiryInterval: 0.05) { relay in
            let client = try await relay.connect()
            try await client.send(.negOpen(subscriptionID: "busy", filter: Filter(), initialMessage: NegentropyRelayTests.emptyInitial))
            #expect(try await client.next() == .negMsg(subscriptionID: "busy", message: "6100000200"))
            clock.advance(by: 200)
            try await client.send(.negMsg(subscriptionID: "busy", message: NegentropyRelayTests.emptyInitial))
            #expect(try await client.next() == .negMsg(subscriptionID: "busy", message: "6100000200"))
            clock.advance(by: 200)
            // 400 s after the open but 200 s after the last message: still open.
            try await client.send(.negMsg(subscriptionID: "busy", message: NegentropyRelayTests.emptyInitial))
            #expect(try await client.next() == .negMsg(subscriptionID: "busy", message: "6100000200"))
            await client.close()
        }
    }
}
