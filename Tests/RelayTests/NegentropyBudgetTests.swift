import Foundation
import Nostr
import Relay
import Testing

/// Issue 12, item 2: served negentropy listings share one node-wide budget of items; past
/// it a NEG-OPEN is refused with `rate-limited:`, and the items come back when sessions end.
@Suite("Served negentropy: node-wide item budget", .timeLimit(.minutes(2)))
struct NegentropyBudgetTests {
    static let initial = NegentropyRelayTests.emptyInitial

    @Test("a second connection's NEG-OPEN past the budget is rate-limited; NEG-CLOSE and disconnect give the items back")
    func budgetAcrossConnections() async throws {
        let sets = NIP34EventSets.make(repo: "budget-repo", onlyClient: 0, common: 0, onlyRelay: 100)
        try await RelayTestHarness.withRelay(maxNegentropyItemsTotal: 150) { relay in
            sets.storeRelaySide(in: relay)
            let first = try await relay.connect()
            try await first.send(.negOpen(subscriptionID: "a", filter: sets.filter, initialMessage: Self.initial))
            guard case .negMsg("a", _) = try await first.next() else { Issue.record("first NEG-OPEN refused"); return }
            #expect(relay.relay.negentropyBudget.inUse == 100)

            // 100 more items do not fit in the remaining 50.
            let second = try await relay.connect()
            try await second.send(.negOpen(subscriptionID: "b", filter: sets.filter, initialMessage: Self.initial))
            guard case .negErr("b", let reason, nil) = try await second.next() else { Issue.record("expected NEG-ERR"); return }
            #expect(reason.hasPrefix("rate-limited:"), "\(reason)")
            #expect(relay.relay.negentropyBudget.inUse == 100)

            // NEG-CLOSE returns the items (the COUNT answer shows the close was processed).
            try await first.send(.negClose(subscriptionID: "a"))
            try await first.send(.count(subscriptionID: "sync", filters: [Filter(kinds: [1])]))
            _ = try await first.next()
            #expect(relay.relay.negentropyBudget.inUse == 0)
            try await second.send(.negOpen(subscriptionID: "b", filter: sets.filter, initialMessage: Self.initial))
            guard case .negMsg("b", _) = try await second.next() else { Issue.record("NEG-OPEN after release refused"); return }
            #expect(relay.relay.negentropyBudget.inUse == 100)

            // A connection that ends with a session open gives its items back too.
            await second.close()
            try await Self.waitUntil { relay.relay.negentropyBudget.inUse == 0 }
            try await first.send(.negOpen(subscriptionID: "c", filter: sets.filter, initialMessage: Self.initial))
            guard case .negMsg("c", _) = try await first.next() else { Issue.record("NEG-OPEN after disconnect refused"); return }
            await first.close()
        }
    }

    @Test("the per-session limit still answers blocked: with the maximum when the budget has room")
    func perSessionLimitStillBlocked() async throws {
        let sets = NIP34EventSets.make(repo: "budget-limit", onlyClient: 0, common: 0, onlyRelay: 11)
        try await RelayTestHarness.withRelay(limits: RelayLimits(maxNegentropyItems: 10), maxNegentropyItemsTotal: 1_000) { relay in
            sets.storeRelaySide(in: relay)
            let client = try await relay.connect()
            try await client.send(.negOpen(subscriptionID: "big", filter: sets.filter, initialMessage: Self.initial))
            guard case .negErr("big", let reason, let max) = try await client.next() else { Issue.record("expected NEG-ERR"); return }
            #expect(reason.hasPrefix("blocked:"))
            #expect(max == 10)
            #expect(relay.relay.negentropyBudget.inUse == 0)
            await client.close()
        }
    }

    /// Waits for a condition the server reaches asynchronously (connection teardown); a hang
    /// guard, not a timing assertion.
    static func waitUntil(_ condition: () -> Bool) async throws {
        let end = Date().addingTimeInterval(20)
        while !condition() {
            guard Date() < end else { throw HarnessError.timedOut("condition not reached") }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
    }
}
