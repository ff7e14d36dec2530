import Health
import Foundation
import Nostr
import Reconcile
import Testing

/// `NegentropyClientSession.run` and `runSplitting` over scripted links.
@Suite("Negentropy client session")
struct NegentropyClientSessionTests {
    // MARK: - run

    @Test(arguments: [0, 4096])
    func runReconcilesAgainstAResponderAndClosesTheSession(frameSizeLimit: Int) async throws {
        let sets = ClientItemSets.make(seed: 21, onlyClient: 90, common: 2000, onlyRelay: 110)
        let responder = ResponderRelay(items: sets.relayItems, frameSizeLimit: frameSizeLimit)
        let link = ScriptedNegentropyLink(responder: responder)
        let storage = try sealedStorage(sets.clientItems)
        let outcome = try await withHangGuard {
            await NegentropyClientSession.run(link: link, subscriptionID: "s", filter: Filter(kinds: [1621], limit: 5), storage: storage,
                                              frameSizeLimit: frameSizeLimit, classify: RefusalClassifier.classify)
        }
        guard case .success(let result) = outcome else {
            Issue.record("run failed: \(outcome)")
            return
        }
        #expect(Set(result.have) == sets.onlyClientIDs)
        #expect(Set(result.need) == sets.onlyRelayIDs)
        #expect(result.have.count == sets.onlyClient.count)
        #expect(result.need.count == sets.onlyRelay.count)
        let sent = link.sent
        // NEG-OPEN, one NEG-MSG per further round, then NEG-CLOSE.
        #expect(sent.count == result.rounds + 1)
        guard case .negOpen("s", let filter, _)? = sent.first else {
            Issue.record("first message is not the NEG-OPEN: \(String(describing: sent.first))")
            return
        }
        #expect(filter == Filter(kinds: [1621]))
        #expect(sent.last == .negClose(subscriptionID: "s"))
        #expect(sent.dropFirst().dropLast().allSatisfy { if case .negMsg("s", _) = $0 { true } else { false } })
        #expect(responder.closes == ["s"])
        #expect(responder.openSessionCount == 0)
        if frameSizeLimit > 0 { #expect(result.rounds > 1) }
    }

    @Test func runReportsADisconnectWhenSendingFails() async throws {
        let link = ScriptedNegentropyLink(failSends: true) { _ in [] }
        let outcome = try await withHangGuard {
            await NegentropyClientSession.run(link: link, subscriptionID: "s", filter: Filter(), storage: try sealedStorage([]), classify: RefusalClassifier.classify)
        }
        #expect(outcome == .failure(.disconnected))
    }

    @Test func runReportsADisconnectWhenTheConnectionEndsMidSession() async throws {
        let link = ScriptedNegentropyLink { _ in [] }
        let storage = try sealedStorage(ClientItemSets.make(seed: 2, onlyClient: 1, common: 40, onlyRelay: 0).clientItems)
        let task = Task { await NegentropyClientSession.run(link: link, subscriptionID: "s", filter: Filter(), storage: storage, classify: RefusalClassifier.classify) }
        guard case .negOpen("s", _, _) = try await firstSent(link) else {
            Issue.record("the session did not open")
            task.cancel()
            return
        }
        link.disconnect()
        let outcome = try await withHangGuard { await task.value }
        #expect(outcome == .failure(.disconnected))
        #expect(link.sent.count == 1, "no NEG-CLOSE on a dead connection")
    }

    @Test func silenceEndsInATimeoutAndANegClose() async throws {
        let link = ScriptedNegentropyLink { _ in [] }  // a relay that never answers
        let task = Task { await NegentropyClientSession.run(link: link, subscriptionID: "quiet", filter: Filter(), storage: try! sealedStorage([]), classify: RefusalClassifier.classify) }
        #expect(try await firstSent(link) == .negOpen(subscriptionID: "quiet", filter: Filter(), initialMessage: "6100000200"))
        link.deliver(.idleTimeout)
        let outcome = try await withHangGuard { await task.value }
        #expect(outcome == .failure(.timeout))
        #expect(link.sent.last == .negClose(subscriptionID: "quiet"))
    }

    // MARK: - runSplitting

    /// One item per second 1...1000 on the relay; the client holds 60 of them plus 40 of its own.
    static func splittingSets() -> (relay: [NegentropyItem], client: [NegentropyItem], onlyClient: Set<NegentropyID>, onlyRelay: Set<NegentropyID>) {
        var rng = SplitMix64(seed: 99)
        let relay = (1...1000).map { NegentropyItem(timestamp: UInt64($0), id: NegentropyID(bytes: rng.bytes(32))!) }
        let shared = relay.filter { $0.timestamp % 17 == 0 }
        let own = (0..<40).map { i in NegentropyItem(timestamp: UInt64(1 + i * 25), id: NegentropyID(bytes: rng.bytes(32))!) }
        let client = shared + own
        let onlyRelay = Set(relay.map(\.id)).subtracting(shared.map(\.id))
        return (relay, client, Set(own.map(\.id)), onlyRelay)
    }

    @Test func runSplittingBisectsBlockedWindowsAndCollectsTheWholeDiff() async throws {
        let sets = Self.splittingSets()
        let responder = ResponderRelay(items: sets.relay, frameSizeLimit: 0, maxItems: 300)
        let link = ScriptedNegentropyLink(responder: responder)
        let windowsAsked = WindowLog()
        let client = sets.client
        let outcome = try await withHangGuard {
            await NegentropyClientSession.runSplitting(link: link, subscriptionID: "sync", filter: Filter(kinds: [1621]), now: 1000, classify: RefusalClassifier.classify) { filter in
                windowsAsked.append(filter)
                return try sealedStorage(client.filter { itemInWindow($0, filter) })
            }
        }
        guard case .success(let result) = outcome else {
            Issue.record("runSplitting failed: \(outcome)")
            return
        }
        #expect(Set(result.need) == sets.onlyRelay)
        #expect(Set(result.have) == sets.onlyClient)
        #expect(result.need.count == sets.onlyRelay.count)
        #expect(result.have.count == sets.onlyClient.count)

        // 1000 items, at most 300 per session: halve [0, now] depth first, older half first.
        let expected: [ResponderRelay.Open] = [
            .init(subscriptionID: "sync", since: nil, until: nil, matched: 1000, blocked: true),
            .init(subscriptionID: "sync-2", since: 0, until: 500, matched: 500, blocked: true),
            .init(subscriptionID: "sync-3", since: 0, until: 250, matched: 250, blocked: false),
            .init(subscriptionID: "sync-4", since: 251, until: 500, matched: 250, blocked: false),
            .init(subscriptionID: "sync-5", since: 501, until: nil, matched: 500, blocked: true),
            .init(subscriptionID: "sync-6", since: 501, until: 750, matched: 250, blocked: false),
            .init(subscriptionID: "sync-7", since: 751, until: nil, matched: 250, blocked: false),
        ]
        #expect(responder.opens == expected)
        // Local items were taken for exactly the windows opened, with the rest of the filter kept.
        #expect(windowsAsked.filters.map { [$0.since, $0.until] } == expected.map { [$0.since, $0.until] })
        #expect(windowsAsked.filters.allSatisfy { $0.kinds == [1621] })
        // Every successful window was closed, every blocked one was not (the relay ended it).
        #expect(responder.closes == ["sync-3", "sync-4", "sync-6", "sync-7"])
        #expect(result.rounds == 4)
    }

    @Test func runSplittingKeepsTheCallersSinceAndUntil() async throws {
        let sets = Self.splittingSets()
        let responder = ResponderRelay(items: sets.relay, maxItems: 100)
        let link = ScriptedNegentropyLink(responder: responder)
        let client = sets.client
        let outcome = try await withHangGuard {
            await NegentropyClientSession.runSplitting(link: link, subscriptionID: "w", filter: Filter(since: 101, until: 300), now: 1000, classify: RefusalClassifier.classify) { filter in
                try sealedStorage(client.filter { itemInWindow($0, filter) })
            }
        }
        guard case .success(let result) = outcome else {
            Issue.record("runSplitting failed: \(outcome)")
            return
        }
        let inRange = { (t: UInt64) in (101...300).contains(t) }
        #expect(Set(result.need) == Set(sets.relay.filter { inRange($0.timestamp) }.map(\.id)).intersection(sets.onlyRelay))
        #expect(Set(result.have) == Set(sets.client.filter { inRange($0.timestamp) }.map(\.id)).intersection(sets.onlyClient))
        #expect(responder.opens.map { [$0.since, $0.until] } == [[101, 300], [101, 200], [201, 300]])
        #expect(responder.opens.map(\.blocked) == [true, false, false])
    }

    @Test func runSplittingGivesUpWhenOneSecondHoldsTooMany() async throws {
        var rng = SplitMix64(seed: 5)
        let crowded = (0..<5).map { _ in NegentropyItem(timestamp: 100, id: NegentropyID(bytes: rng.bytes(32))!) }
        let responder = ResponderRelay(items: crowded, maxItems: 3)
        let link = ScriptedNegentropyLink(responder: responder)
        let outcome = try await withHangGuard {
            await NegentropyClientSession.runSplitting(link: link, subscriptionID: "c", filter: Filter(since: 0, until: 200), now: 1000, classify: RefusalClassifier.classify) { _ in
                try sealedStorage([])
            }
        }
        #expect(outcome == .failure(.blocked(maxRecords: 3, reason: "blocked: too many query results")))
        let last = responder.opens.last
        #expect(last?.since == 100 && last?.until == 100 && last?.blocked == true)
        // It stopped there: the newer half was never tried.
        #expect(!responder.opens.contains { $0.since == 101 })
    }

    @Test func runSplittingStopsAtTheFirstOtherFailure() async throws {
        let sets = Self.splittingSets()
        let responder = ResponderRelay(items: sets.relay, maxItems: 300)
        let link = ScriptedNegentropyLink { message in
            // The second window's session is closed by the relay instead of reconciled.
            if case .negOpen("sync-3", _, _) = message {
                return [.message(.negErr(subscriptionID: "sync-3", reason: "closed: idle timeout", maxRecords: nil))]
            }
            return responder.answer(message).map { [.message($0)] } ?? []
        }
        let client = sets.client
        let outcome = try await withHangGuard {
            await NegentropyClientSession.runSplitting(link: link, subscriptionID: "sync", filter: Filter(), now: 1000, classify: RefusalClassifier.classify) { filter in
                try sealedStorage(client.filter { itemInWindow($0, filter) })
            }
        }
        #expect(outcome == .failure(.closed("closed: idle timeout")))
        #expect(!link.sent.contains { if case .negOpen("sync-4", _, _) = $0 { true } else { false } })
    }

    @Test func runSplittingReportsLocalStorageErrors() async throws {
        struct Broken: Error {}
        let link = ScriptedNegentropyLink { _ in [] }
        let outcome = try await withHangGuard {
            await NegentropyClientSession.runSplitting(link: link, subscriptionID: "x", filter: Filter(), now: 1000, classify: RefusalClassifier.classify) { _ in throw Broken() }
        }
        guard case .failure(.protocolError(let why)) = outcome else {
            Issue.record("expected a protocol error, got \(outcome)")
            return
        }
        #expect(why.hasPrefix("local items"))
        #expect(link.sent.isEmpty)
    }
}

/// Filters handed to `storageFor`, in order.
final class WindowLog: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [Filter] = []
    func append(_ f: Filter) { lock.withLock { log.append(f) } }
    var filters: [Filter] { lock.withLock { log } }
}
