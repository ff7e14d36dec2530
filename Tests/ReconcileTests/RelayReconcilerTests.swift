import Synchronization
import Foundation
import Health
import Nostr
@testable import Reconcile
import Testing

// The reconciler driven alone: a scripted relay channel (REQ/EOSE from an event list, NIP-77
// from our responder engine), a fixed local listing and a recording host.

/// A relay behind `HistoricRelayChannel`: answers a REQ with its matching events and EOSE
/// (or with `refuseFirstReq`'s CLOSED once), NIP-77 through `ResponderRelay` over the same
/// events, or a NOTICE when it does not speak NIP-77.
final class ScriptedRelayChannel: HistoricRelayChannel, @unchecked Sendable {
    private let lock = NSLock()
    private let events: [NostrEvent]
    private let negentropy: Bool
    private var refusal: String?
    private var waiters: [String: AsyncStream<RequestDelivery>.Continuation] = [:]
    private var reqLog: [Filter] = []
    /// Called before an id fetch is answered (tests look at the reconciler meanwhile).
    var onIDRequest: (@Sendable () async -> Void)?

    init(events: [NostrEvent], negentropy: Bool, refuseFirstReq: String? = nil) {
        self.events = events
        self.negentropy = negentropy
        refusal = refuseFirstReq
    }

    var reqs: [Filter] { lock.withLock { reqLog } }

    func register(_ subscriptionID: String, timeout: Double) -> AsyncStream<RequestDelivery> {
        let (stream, continuation) = AsyncStream<RequestDelivery>.makeStream()
        lock.withLock { waiters[subscriptionID] = continuation }
        return stream
    }

    func unregister(_ subscriptionID: String) {
        lock.withLock { waiters.removeValue(forKey: subscriptionID) }?.finish()
    }

    func send(_ message: ClientMessage) async throws {
        guard case .req(let id, let filters) = message else { return }
        let (waiter, refused): (AsyncStream<RequestDelivery>.Continuation?, String?) = lock.withLock {
            reqLog += filters
            defer { refusal = nil }
            return (waiters[id], refusal)
        }
        if let refused {
            waiter?.yield(.message(.closed(subscriptionID: id, message: refused)))
            return
        }
        if filters.contains(where: { $0.ids != nil }), let onIDRequest { await onIDRequest() }
        var matching = events.filter { e in filters.contains { $0.matches(e) } }
        matching.sort { $0.createdAt > $1.createdAt }
        if let limit = filters.first?.limit { matching = Array(matching.prefix(limit)) }
        for event in matching { waiter?.yield(.message(.event(subscriptionID: id, event: event))) }
        waiter?.yield(.message(.eose(subscriptionID: id)))
    }

    func negentropyLink(timeout: Double) -> any NegentropyLink {
        guard negentropy else {
            return ScriptedNegentropyLink { _ in [.message(.notice("ERROR: unknown command"))] }
        }
        let items = events.map { NegentropyItem(timestamp: UInt64($0.createdAt), id: NegentropyID(hex: $0.id)!) }
        return ScriptedNegentropyLink(responder: ResponderRelay(items: items))
    }
}

/// The node's side: a fixed set of stored events.
struct FixedItemSource: LocalItemSource {
    let events: [NostrEvent]
    var rejected: Set<String> = []

    func negentropyStorage(for filter: Filter) throws -> NegentropyStorage {
        try NegentropyStorage(sealing: events.filter { filter.matches($0) }
            .map { NegentropyItem(timestamp: UInt64($0.createdAt), id: NegentropyID(hex: $0.id)!) }.sorted())
    }

    func negentropyStorage(forUnionOf filters: some Sequence<Filter>) throws -> NegentropyStorage {
        let filters = Array(filters)
        return try NegentropyStorage(sealing: events.filter { e in filters.contains { $0.matches(e) } }
            .map { NegentropyItem(timestamp: UInt64($0.createdAt), id: NegentropyID(hex: $0.id)!) }.sorted())
    }

    func knownRejectedIDs() -> Set<String> { rejected }
}

/// Records what the reconciler asks of the engine.
actor RecordingReconcilerHost: RelayReconcilerHost {
    private(set) var rateLimitWaits = 0
    private(set) var tooLarge: [Int] = []

    func waitForRateLimitEnd(_ relay: RelayURL) async { rateLimitWaits += 1 }
    func relieveSubscriptionPressure(_ relay: RelayURL, reason: String) async {}
    func learnedRequestTooLarge(_ relay: RelayURL, generation: Int, refusedBytes: Int) async { tooLarge.append(refusedBytes) }
}

@Suite("RelayReconciler: one relay's historic batches, driven alone")
struct RelayReconcilerTests {
    static let relay = RelayURL("wss://relay.example")!

    /// `count` kind-1621 events with distinct seeded ids, one second apart.
    static func events(_ count: Int, seed: UInt64) -> [NostrEvent] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { i in
            NostrEvent(id: Hex.encode(rng.bytes(32)), pubkey: String(repeating: "a", count: 64), createdAt: 1_700_000_000 + Int64(i),
                       kind: 1621, tags: [], content: "", sig: String(repeating: "0", count: 128))
        }
    }

    func reconciler(local: [NostrEvent], host: RecordingReconcilerHost, pageLimit: Int = 500) -> RelayReconciler {
        RelayReconciler(relay: Self.relay, configuration: ReconcilerConfiguration(pageLimit: pageLimit),
                        local: FixedItemSource(events: local), clock: ManualClock(), host: host,
                        classify: RefusalClassifier.classify)
    }

    @Test func negentropyFetchesExactlyWhatTheNodeLacks() async {
        let all = Self.events(40, seed: 1)
        let host = RecordingReconcilerHost()
        let reconciler = reconciler(local: Array(all.prefix(25)), host: host)
        let channel = ScriptedRelayChannel(events: all, negentropy: true)
        await reconciler.connectionOpened(generation: 1, channel: channel)
        let outcome = await reconciler.run(HistoricBatch(id: 1, generation: 1, filters: [Filter(kinds: [1621])], negentropy: true))
        #expect(outcome == .complete)
        #expect(reconciler.negentropySupport == .supported)
        let fetched = Set(channel.reqs.flatMap { $0.ids ?? [] })
        #expect(fetched == Set(all.suffix(15).map(\.id)), "only the 15 missing ids are fetched")
    }

    @Test func missingIdsAreClaimedAWindowAtATime() async {
        let all = Self.events(30, seed: 6)
        let host = RecordingReconcilerHost()
        let reconciler = RelayReconciler(relay: Self.relay, configuration: ReconcilerConfiguration(idFetchChunk: 2, idFetchConcurrency: 1),
                                         local: FixedItemSource(events: []), clock: ManualClock(), host: host,
                                         classify: RefusalClassifier.classify)
        let channel = ScriptedRelayChannel(events: all, negentropy: true)
        let most = Mutex(0)
        channel.onIDRequest = {
            let claimed = await reconciler.claimedIDCount
            most.withLock { $0 = max($0, claimed) }
        }
        await reconciler.connectionOpened(generation: 1, channel: channel)
        let outcome = await reconciler.run(HistoricBatch(id: 1, generation: 1, filters: [Filter(kinds: [1621])], negentropy: true))
        #expect(outcome == .complete)
        #expect(Set(channel.reqs.flatMap { $0.ids ?? [] }) == Set(all.map(\.id)))
        // Chunks of 2, one in flight: windows of 2 x 1 x 4 = 8 ids, not all 30 at once.
        #expect(most.withLock { $0 } == 8)
    }

    @Test func aRelayWithoutNIP77IsLearnedAndPaginated() async {
        let all = Self.events(12, seed: 2)
        let host = RecordingReconcilerHost()
        let reconciler = reconciler(local: [], host: host, pageLimit: 5)
        let channel = ScriptedRelayChannel(events: all, negentropy: false)
        await reconciler.connectionOpened(generation: 1, channel: channel)
        let outcome = await reconciler.run(HistoricBatch(id: 1, generation: 1, filters: [Filter(kinds: [1621])], negentropy: true))
        #expect(outcome == .complete)
        #expect(reconciler.negentropySupport == .unsupported)
        #expect(!reconciler.negentropyAllowed)
        #expect(channel.reqs.count >= 3, "12 events in pages of 5 need at least three REQs")
        #expect(channel.reqs.allSatisfy { $0.limit == 5 && $0.kinds == [1621] })
    }

    @Test("batches handed over on the batch stream run, each outcome comes back on the report stream, and finishing the stream ends the loop")
    func batchesRunFromTheStreamAndReportTheirOutcomes() async {
        let all = Self.events(10, seed: 7)
        let host = RecordingReconcilerHost()
        let reconciler = reconciler(local: Array(all.prefix(4)), host: host)
        let channel = ScriptedRelayChannel(events: all, negentropy: true)
        await reconciler.connectionOpened(generation: 3, channel: channel)
        let (reports, reportInput) = AsyncStream.makeStream(of: HistoricReport.self)
        let loop = Task { await reconciler.runBatches(reportingTo: reportInput) }
        #expect(reconciler.submit(HistoricBatch(id: 7, generation: 3, filters: [Filter(kinds: [1621])], negentropy: true)))
        #expect(reconciler.submit(HistoricBatch(id: 8, generation: 2, filters: [Filter(kinds: [1621])], negentropy: true)))
        var received: [HistoricReport] = []
        for await report in reports {
            received.append(report)
            if received.count == 2 { break }
        }
        #expect(Set(received.map(\.batchID)) == [7, 8])
        #expect(received.first { $0.batchID == 7 } == HistoricReport(relay: Self.relay, batchID: 7, generation: 3, outcome: .complete))
        #expect(received.first { $0.batchID == 8 }?.outcome == .aborted, "sized for an older connection")
        #expect(Set(channel.reqs.flatMap { $0.ids ?? [] }) == Set(all.suffix(6).map(\.id)))
        reconciler.finishBatches()
        await loop.value
        #expect(!reconciler.submit(HistoricBatch(id: 9, generation: 3, filters: [Filter(kinds: [1621])], negentropy: true)),
                "no batch is taken once the stream is finished")
    }

    @Test func aBatchOfAnOlderConnectionAbortsWithoutSending() async {
        let host = RecordingReconcilerHost()
        let reconciler = reconciler(local: [], host: host)
        let channel = ScriptedRelayChannel(events: Self.events(3, seed: 3), negentropy: true)
        await reconciler.connectionOpened(generation: 2, channel: channel)
        let outcome = await reconciler.run(HistoricBatch(id: 1, generation: 1, filters: [Filter(kinds: [1621])], negentropy: true))
        #expect(outcome == .aborted)
        #expect(channel.reqs.isEmpty)
    }

    @Test func aRateLimitedRequestWaitsThroughTheHostThenRetries() async {
        let all = Self.events(4, seed: 4)
        let host = RecordingReconcilerHost()
        let reconciler = reconciler(local: [], host: host)
        let channel = ScriptedRelayChannel(events: all, negentropy: false, refuseFirstReq: "rate-limited: slow down")
        await reconciler.connectionOpened(generation: 1, channel: channel)
        let outcome = await reconciler.run(HistoricBatch(id: 1, generation: 1, filters: [Filter(kinds: [1621])], negentropy: false))
        #expect(outcome == .complete)
        #expect(await host.rateLimitWaits == 1)
        let reqs = channel.reqs
        #expect(reqs.count >= 2 && reqs[1] == reqs[0], "the refused page is sent again after the wait")
    }

    @Test func aTooLargeRefusalIsReportedAndTheFilterSplit() async {
        let all = Self.events(6, seed: 5)
        let host = RecordingReconcilerHost()
        let reconciler = reconciler(local: [], host: host)
        let channel = ScriptedRelayChannel(events: all, negentropy: false,
                                           refuseFirstReq: "ERROR: bad req: error parsing #q: total filter items too large")
        await reconciler.connectionOpened(generation: 1, channel: channel)
        let filter = Filter(ids: all.map(\.id))
        let outcome = await reconciler.run(HistoricBatch(id: 1, generation: 1, filters: [filter], negentropy: false))
        #expect(outcome == .complete)
        #expect(await host.tooLarge.count == 1)
        let reqs = channel.reqs
        #expect(reqs.first?.ids?.count == 6)
        #expect(reqs.count > 1 && reqs.dropFirst().allSatisfy { $0.ids?.count == 3 }, "after the refusal, pages of the two halves only")
    }
}
