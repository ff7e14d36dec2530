import Benchmark
import Health
import Layers
import Nostr

/// A deterministic desired state at scale for the Layers stage benchmarks: 10,000 repository
/// announcements by 2,000 authors (5 each), each listing 3 of 100 relays, and 200,000 root
/// events (20 per repository, one `a` tag each), with the node's default relay limits
/// (10 per announcement, 20 per author). Events are built unsigned: the Layers never verify.
struct LayersFixture: Sendable {
    static let repoCount = 10_000
    static let rootCount = 200_000
    static let relayCount = 100
    static let authorCount = 2_000
    static let ownURLs: Set<RelayURL> = [RelayURL("wss://node.bench")!]

    let announcements: [NostrEvent]
    /// Root event id and the repo it tags, in attach order.
    let roots: [(id: String, ref: RepoRef)]
    /// The index after the announcements, before any root.
    let announced: RepoSyncIndex
    /// The index with every root attached.
    let full: RepoSyncIndex
    let targets: [RelayURL: RelaySyncNeeds]
    /// Every relay's target with half its repos and half its root events confirmed.
    let halfConfirmed: ConfirmedSyncIndex
    /// The relay with the most root events, and its needs (one relay's filters).
    let busiest: (relay: RelayURL, needs: RelaySyncNeeds)
    /// 1,000 new issues (kind 1621) on held repos, for the self-subscriber batch.
    let newRoots: [NostrEvent]

    /// Built once per benchmark process, on first use (outside the measured part).
    static let shared = LayersFixture()

    static func hex(_ rng: inout SplitMix64) -> String {
        var out = ""
        out.reserveCapacity(64)
        for _ in 0..<4 {
            let word = String(rng.next(), radix: 16)
            out += String(repeating: "0", count: 16 - word.count) + word
        }
        return out
    }

    static let signature = String(repeating: "0", count: 128)

    static func issue(id: String, author: String, on ref: RepoRef, createdAt: Int64) -> NostrEvent {
        NostrEvent(id: id, pubkey: author, createdAt: createdAt, kind: NIP34.issue,
                   tags: [["a", ref.description], ["p", ref.pubkey]], content: "", sig: signature)
    }

    init() {
        var rng = SplitMix64(seed: 0x6772_6173_70)
        let relays = (0..<Self.relayCount).map { "wss://relay-\($0).bench.example" }
        let authors = (0..<Self.authorCount).map { _ in Self.hex(&rng) }
        var announcements: [NostrEvent] = []
        announcements.reserveCapacity(Self.repoCount)
        for r in 0..<Self.repoCount {
            var listed: [String] = []
            while listed.count < 3 {
                let relay = relays[Int(rng.next() % UInt64(Self.relayCount))]
                if !listed.contains(relay) { listed.append(relay) }
            }
            announcements.append(NostrEvent(
                id: Self.hex(&rng), pubkey: authors[r % Self.authorCount], createdAt: 1_700_000_000 + Int64(r),
                kind: NIP34.repoAnnouncement, tags: [["d", "repo-\(r)"], ["name", "repo \(r)"], ["relays"] + listed],
                content: "", sig: Self.signature))
        }
        let refs = announcements.map { RepoRef(event: $0)! }
        var roots: [(id: String, ref: RepoRef)] = []
        roots.reserveCapacity(Self.rootCount)
        for i in 0..<Self.rootCount { roots.append((Self.hex(&rng), refs[i % Self.repoCount])) }

        var index = RepoSyncIndex()
        for a in announcements { index.apply(announcement: a, ownURLs: Self.ownURLs) }
        announced = index
        for root in roots { index.attach(rootEvent: root.id, to: [root.ref]) }
        full = index
        targets = deriveRelayTargets(index)

        var confirmed = ConfirmedSyncIndex()
        var batchID = 0
        for (relay, needs) in targets {
            batchID += 1
            let repos = needs.repos.keys.sorted()
            let rootIDs = needs.rootEvents.sorted()
            confirmed.confirm(PendingBatch(
                id: batchID, relay: relay,
                repos: Dictionary(uniqueKeysWithValues: repos.prefix(repos.count / 2).map { ($0, needs.repos[$0]!) }),
                rootEvents: Set(rootIDs.prefix(rootIDs.count / 2))))
        }
        halfConfirmed = confirmed
        let busiestRelay = targets.max { ($0.value.rootEvents.count, $1.key) < ($1.value.rootEvents.count, $0.key) }!
        busiest = (busiestRelay.key, busiestRelay.value)

        self.announcements = announcements
        self.roots = roots
        newRoots = (0..<1_000).map { i in
            Self.issue(id: Self.hex(&rng), author: authors[(i * 7) % Self.authorCount],
                       on: refs[(i * 37) % Self.repoCount], createdAt: 1_700_500_000 + Int64(i))
        }
    }
}

func registerLayersStageBenchmarks() {
    let config = Benchmark.Configuration(metrics: [.wallClock, .throughput], warmupIterations: 1,
                                         maxDuration: .seconds(5), maxIterations: 50)
    let scale = "10,000 repos / 200,000 roots / 100 relays"

    Benchmark("layers: RepoSyncIndex.apply(announcement:) x 10,000 (3 of 100 relays each, default relay limits)",
              configuration: config) { benchmark in
        let f = LayersFixture.shared
        benchmark.startMeasurement()
        var index = RepoSyncIndex()
        for a in f.announcements { index.apply(announcement: a, ownURLs: LayersFixture.ownURLs) }
        benchmark.stopMeasurement()
        precondition(index.repos.count == LayersFixture.repoCount)
        blackHole(index)
    }

    Benchmark("layers: RepoSyncIndex.attach(rootEvent:to:) x 200,000 onto 10,000 repos", configuration: config) { benchmark in
        let f = LayersFixture.shared
        var index = f.announced
        benchmark.startMeasurement()
        for root in f.roots { index.attach(rootEvent: root.id, to: [root.ref]) }
        benchmark.stopMeasurement()
        blackHole(index)
    }

    Benchmark("layers: deriveRelayTargets, \(scale)", configuration: config) { benchmark in
        let f = LayersFixture.shared
        benchmark.startMeasurement()
        let targets = deriveRelayTargets(f.full)
        benchmark.stopMeasurement()
        precondition(targets.count == LayersFixture.relayCount)
        blackHole(targets)
    }

    // What the engine reads since RepoSyncIndex maintains its relay targets on every mutation
    // (the upkeep is inside the apply/attach/self-subscriber figures).
    Benchmark("layers: RepoSyncIndex.relayTargets (maintained incrementally), \(scale)", configuration: config) { benchmark in
        let f = LayersFixture.shared
        benchmark.startMeasurement()
        let targets = f.full.relayTargets
        benchmark.stopMeasurement()
        precondition(targets.count == LayersFixture.relayCount)
        blackHole(targets)
    }

    let confirmedStates: [(String, ConfirmedSyncIndex?)] = [("nothing pending or confirmed", ConfirmedSyncIndex()),
                                                            ("half of every relay's target confirmed", nil)]
    for (label, confirmed) in confirmedStates {
        Benchmark("layers: computeActions, \(scale), \(label)", configuration: config) { benchmark in
            let f = LayersFixture.shared
            let covered = confirmed ?? f.halfConfirmed
            let pending = PendingSyncIndex()
            benchmark.startMeasurement()
            let actions = computeActions(targets: f.targets, pending: pending, confirmed: covered, status: { _ in .syncing })
            benchmark.stopMeasurement()
            precondition(actions.count == LayersFixture.relayCount)
            blackHole(actions)
        }
    }

    let needsLabel = "one relay's needs (the busiest of 100)"
    Benchmark("layers: SyncFilterBuilder.filters (historic), \(needsLabel)", configuration: config) { benchmark in
        let needs = LayersFixture.shared.busiest.needs
        benchmark.startMeasurement()
        let filters = SyncFilterBuilder.filters(repos: needs.repos, rootEvents: needs.rootEvents, since: nil, live: false)
        benchmark.stopMeasurement()
        blackHole(filters)
    }
    Benchmark("layers: SyncFilterBuilder.negentropyFilters, \(needsLabel)", configuration: config) { benchmark in
        let needs = LayersFixture.shared.busiest.needs
        benchmark.startMeasurement()
        let filters = SyncFilterBuilder.negentropyFilters(repos: needs.repos, rootEvents: needs.rootEvents, since: nil)
        benchmark.stopMeasurement()
        blackHole(filters)
    }
    Benchmark("layers: SyncFilterBuilder.packedLiveFilters, \(needsLabel)", configuration: config) { benchmark in
        let needs = LayersFixture.shared.busiest.needs
        benchmark.startMeasurement()
        let filters = SyncFilterBuilder.packedLiveFilters(repos: needs.repos, rootEvents: needs.rootEvents, limits: RequestLimits())
        benchmark.stopMeasurement()
        blackHole(filters)
    }

    Benchmark("layers: SelfSubscriberBatch.apply, 1,000 new root events onto the full index (\(scale))",
              configuration: config) { benchmark in
        let f = LayersFixture.shared
        var index = f.full
        // Copy-on-write of the index's repo table happens here, not in the measured part
        // (the node's index is uniquely owned).
        index.setLevel(.full, for: f.roots[0].ref)
        benchmark.startMeasurement()
        let relays = SelfSubscriberBatch.apply(f.newRoots, to: &index, ownURLs: LayersFixture.ownURLs)
        benchmark.stopMeasurement()
        precondition(!relays.isEmpty)
        blackHole(relays)
    }
}
