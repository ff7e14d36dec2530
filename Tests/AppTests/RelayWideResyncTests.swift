import App
import Foundation
import Nostr
import Testing
import Transport
import TransportTestKit

/// Issue 10, item 3: a GRASP server the node synced before is re-synced with one relay-wide
/// NIP-77 session (`{}` against the local listing of what it should hold) instead of item
/// filters carrying every root id; general relays and first syncs keep the item filters.
@Suite struct RelayWideResyncTests {
    static let peer = RelayURL("ws://grasp.test")!

    /// A synced repository on `peer`: announcement, state, three issues with two comments
    /// and a status each.
    static func populated(_ documents: [RelayURL: RemoteRelayInformation], negentropy: Bool = true)
        async throws -> (SyncScenario, StaticRelayInformation, repo: NostrEvent, issues: [NostrEvent])
    {
        let information = StaticRelayInformation(documents)
        let s = try SyncScenario(bootstrap: [Self.peer], disableNegentropy: !negentropy, relayInformation: information)
        try s.addPeer(Self.peer)
        let repo = s.announcement(relays: [Self.peer])
        let issues = (0..<3).map { s.issue(for: repo, $0) }
        var events = [repo, s.state(for: repo)] + issues
        for issue in issues { events += [s.comment(on: issue, 0), s.comment(on: issue, 1), s.status(on: issue)] }
        s.publish(events, on: Self.peer)
        await s.start()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        for e in events { #expect(s.has(e), "kind \(e.kind) not synced") }
        return (s, information, repo, issues)
    }

    /// The NEG-OPEN filters sent to the peer from message `from` on.
    static func negOpenFilters(_ s: SyncScenario, from: Int) -> [Filter] {
        s.transport.sentMessages(to: Self.peer).dropFirst(from).compactMap {
            if case .negOpen(_, let filter, _) = $0 { return filter }
            return nil
        }
    }

    /// Whether a filter names root events (`#e`, `#E` or `#q` values).
    static func namesRoots(_ f: Filter) -> Bool { ["e", "E", "q"].contains { !(f.tags[$0] ?? []).isEmpty } }

    /// Restarts past the quick-reconnect window and runs until Connected; returns the index of
    /// the first message sent after the restart.
    static func restartPastWindow(_ s: SyncScenario) async -> Int {
        let mark = s.transport.sentMessages(to: Self.peer).count
        // Stopped first: a stop saves "last seen now", so the window counts from there.
        await s.coordinator.stop()
        s.clock.advance(by: s.configuration.quickReconnectWindow + 60)
        await s.restart()
        #expect(await s.run { await s.status(Self.peer) == .connected })
        return mark
    }

    @Test("a GRASP server synced before: the restart re-sync is one relay-wide session, no root ids go out, nothing is fetched")
    func graspServerResyncIsRelayWide() async throws {
        let (s, information, _, _) = try await Self.populated([Self.peer: StaticRelayInformation.graspServer])
        #expect(information.fetchCount(Self.peer) == 1)
        // The first sync used item filters (a first sync fetches roots before what tags them).
        #expect(Self.negOpenFilters(s, from: 0).contains(where: Self.namesRoots))
        let stored = try s.store.totalCount()
        let mark = await Self.restartPastWindow(s)
        let strategy = await s.coordinator.syncStrategy(Self.peer)
        guard case .freshStart? = strategy else {
            Issue.record("a restart past the window should be a fresh start, was \(String(describing: strategy))")
            return
        }
        let filters = Self.negOpenFilters(s, from: mark)
        #expect(filters.contains(Filter()), "no relay-wide NEG-OPEN: \(filters)")
        #expect(!filters.contains(where: Self.namesRoots), "root ids went out: \(filters)")
        #expect(filters.count == 2, "expected layer 1 and the relay-wide session: \(filters)")
        let fetched = s.transport.sentMessages(to: Self.peer).dropFirst(mark).filter {
            if case .req(_, let fs) = $0 { return fs.contains { $0.ids != nil } }
            return false
        }
        #expect(fetched.isEmpty, "nothing changed, yet ids were fetched")
        #expect(try s.store.totalCount() == stored)
        // The document is persisted with the sync state: not fetched again within its lifetime.
        #expect(information.fetchCount(Self.peer) == 1)
    }

    @Test("what a GRASP server gained while the node was down arrives through the relay-wide session")
    func graspServerResyncFetchesWhatIsNew() async throws {
        let (s, _, repo, issues) = try await Self.populated([Self.peer: StaticRelayInformation.graspServer])
        await s.coordinator.stop()
        let late = [s.comment(on: issues[0], 7), s.issue(for: repo, 9), s.status(on: issues[2])]
        s.publish(late, on: Self.peer)
        let mark = await Self.restartPastWindow(s)
        for e in late { #expect(s.has(e), "kind \(e.kind) added while the node was down is missing") }
        // The roots synced before are not named again (the new issue, a new root, is).
        let named = Set(Self.negOpenFilters(s, from: mark).flatMap { f in ["e", "E", "q"].flatMap { f.tags[$0] ?? [] } })
        #expect(named.isDisjoint(with: issues.map(\.id)), "known roots went out again")
        // The new issue is a new root: it is tracked and synced with item filters from now on.
        #expect(await s.run { await s.coordinator.confirmedNeeds(Self.peer).rootEvents.contains(late[1].id) })
    }

    @Test("a general relay (no supported_grasps) and a relay without a NIP-11 document keep the item filters")
    func generalRelayResyncUsesItemFilters() async throws {
        for documents in [[Self.peer: StaticRelayInformation.generalRelay], [:]] {
            let (s, _, _, _) = try await Self.populated(documents)
            let mark = await Self.restartPastWindow(s)
            let filters = Self.negOpenFilters(s, from: mark)
            #expect(!filters.contains(Filter()))
            #expect(filters.contains(where: Self.namesRoots))
        }
    }

    @Test("a quick reconnect to a GRASP server catches up relay-wide with since")
    func quickReconnectToAGraspServerIsRelayWide() async throws {
        let (s, _, _, issues) = try await Self.populated([Self.peer: StaticRelayInformation.graspServer])
        let mark = s.transport.sentMessages(to: Self.peer).count
        #expect(await s.dropConnection(Self.peer))
        let late = s.comment(on: issues[1], 5, at: s.now)
        s.publish([late], on: Self.peer)
        #expect(await s.run { await s.status(Self.peer) == .connected })
        guard case .quickReconnect(let since)? = await s.coordinator.syncStrategy(Self.peer) else {
            Issue.record("expected a quick reconnect")
            return
        }
        let filters = Self.negOpenFilters(s, from: mark)
        #expect(filters.contains(Filter(since: since)), "no relay-wide NEG-OPEN with since: \(filters)")
        #expect(!filters.contains(where: Self.namesRoots))
        #expect(s.has(late))
    }

    @Test("a GRASP server without NIP-77: the re-sync falls back to REQ/EOSE item filters and completes")
    func graspServerWithoutNegentropyUsesRequests() async throws {
        let (s, _, repo, _) = try await Self.populated([Self.peer: StaticRelayInformation.graspServer], negentropy: false)
        await s.coordinator.stop()
        let late = s.issue(for: repo, 8)
        s.publish([late], on: Self.peer)
        let mark = await Self.restartPastWindow(s)
        #expect(Self.negOpenFilters(s, from: mark).isEmpty)
        #expect(s.has(late))
    }

    @Test("a relay-wide session the relay refuses falls back to the item filters in the same batch")
    func refusedRelayWideSessionFallsBack() async throws {
        let (s, _, repo, _) = try await Self.populated([Self.peer: StaticRelayInformation.graspServer])
        await s.coordinator.stop()
        let late = s.issue(for: repo, 6)
        s.publish([late], on: Self.peer)
        // The relay caps listings below its relay-wide set (strfry's NEG-OPEN limit of 1,000,000, answered with its exact text), so it
        // refuses the relay-wide session and nothing else: no bisecting of the time line,
        // the item filters run instead.
        s.transport.intercept { _, message in
            if case .negOpen(let id, let filter, _) = message, filter.tags.isEmpty, filter.kinds == nil {
                return .reply([.negErr(subscriptionID: id, reason: "blocked: too many query results", maxRecords: 100)])
            }
            return .forward
        }
        let mark = await Self.restartPastWindow(s)
        let filters = Self.negOpenFilters(s, from: mark)
        #expect(filters.filter { $0 == Filter() }.count == 1, "the relay-wide session was retried or split")
        #expect(!filters.contains { $0.tags.isEmpty && $0.kinds == nil && $0 != Filter() }, "the time line was bisected")
        #expect(filters.contains(where: Self.namesRoots), "the item filters did not run after the refusal")
        #expect(s.has(late))
        #expect(await s.coordinator.negentropySupport(Self.peer) == .supported)
    }

    @Test("a GRASP server is followed live by one relay-wide subscription: no item named, new events of every layer arrive")
    func graspServerLiveSubscriptionIsRelayWide() async throws {
        let (s, _, repo, issues) = try await Self.populated([Self.peer: StaticRelayInformation.graspServer])
        let live = s.transport.sentMessages(to: Self.peer).compactMap { message -> [Filter]? in
            if case .req(_, let filters) = message, filters.allSatisfy({ $0.limit == 0 }) { return filters }
            return nil
        }
        #expect(live == [[Filter(limit: 0)]], "live REQs: \(live)")
        let late = [s.comment(on: issues[2], 9, at: s.now), s.issue(for: repo, 11, at: s.now), s.status(on: issues[0], at: s.now)]
        s.publish(late, on: Self.peer)
        #expect(await s.settle { late.allSatisfy { s.has($0) } }, "live events did not arrive")
        #expect(await s.coordinator.liveSubscriptionCount(Self.peer) == 1)
    }
}
